/** The engine's public entry: load a model package and talk to it. Framework-free; no ONNX Runtime import. */

export type { ErrorCode, GlimpseErrorObject } from './errors';
export { GlimpseError, isAbortError } from './errors';
export { loadModel } from './model/load';
export type { Backend, Ort } from './runtime/ort';
export type * from './types';
