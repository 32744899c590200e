/** The ONNX Runtime module per backend: onnxruntime-web (wasm) by default, onnxruntime-node for cpu and webgpu. */
import type { Backend, Ort } from '../engine/index';

export async function loadOrt(backend: Backend): Promise<Ort> {
  if (backend === 'wasm') {
    const ort = await import('onnxruntime-web');
    return ort;
  }
  return import('onnxruntime-node');
}
