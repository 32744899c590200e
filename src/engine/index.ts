/** The engine's public entry: load a model package and talk to it. Framework-free; no ONNX Runtime import. */

export type { ErrorCode, GlimpseErrorObject } from './errors';
export { GlimpseError, isAbortError } from './errors';
export { CPU_ATTENTION_KINDS } from './types';

import { loadModel } from './model/load';
import type { Ort } from './runtime/ort';
import type { GlimpseEngine } from './types';

export type { Backend, Ort } from './runtime/ort';
export type * from './types';
export { loadModel };

/** The engine in this thread, on the ONNX Runtime module the host imports (web, node, or a test's). */
export function createEngine(ort: Ort): GlimpseEngine {
  return { loadModel: (reader, options) => loadModel(ort, reader, options) };
}
