/**
 * The engine never imports an ONNX Runtime package itself: the host passes in the module it loaded
 * (onnxruntime-web/webgpu or onnxruntime-web in a browser or Node, onnxruntime-node in Node), and the
 * engine uses only the shared API surface described by onnxruntime-common.
 */
import type * as OrtCommon from 'onnxruntime-common';

export type Ort = Pick<typeof OrtCommon, 'InferenceSession' | 'Tensor' | 'env'>;
export type OrtTensor = OrtCommon.Tensor;
export type OrtSession = OrtCommon.InferenceSession;
export type OrtSessionOptions = OrtCommon.InferenceSession.SessionOptions;
export type OrtTensorType = OrtCommon.Tensor.Type;

/** Where inference really runs; 'cpu' is onnxruntime-node's native CPU provider. */
export type Backend = 'webgpu' | 'wasm' | 'cpu';

/**
 * The one execution provider per backend. Never a fallback list: ONNX Runtime would fall back silently,
 * and the engine must report the backend that really runs.
 */
export function executionProviders(backend: Backend): string[] {
  return [backend];
}
