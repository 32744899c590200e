/**
 * The bytes of an ONNX model of Slice nodes, y = Slice(x, starts, ends, axes), for cutting the KV cache along the
 * sequence axis where it lives (GPU memory under WebGPU) instead of reading it back.
 */
import { wireModel } from './onnx-wire';
import type { FloatType } from './tensors';

/**
 * `count` Slice nodes sharing one starts/ends/axes: y{i} = Slice(x{i}, starts, ends, axes). The whole KV
 * cache is cut in one run, not one run per layer and kind.
 */
export function sliceModel(type: FloatType, count = 1): Uint8Array {
  const slices = Array.from({ length: count }, (_, i) => i);
  return wireModel(
    'kv_slice',
    slices.map((i) => ({ opType: 'Slice', inputs: [`x${i}`, 'starts', 'ends', 'axes'], outputs: [`y${i}`] })),
    [
      ...slices.map((i) => ({ name: `x${i}`, type, dims: ['batch', 'heads', 'length', 'head_dim'] })),
      ...['starts', 'ends', 'axes'].map((name) => ({ name, type: 'int64' as const, dims: [1] })),
    ],
    slices.map((i) => ({ name: `y${i}`, type, dims: ['batch', 'heads', 'kept', 'head_dim'] })),
  );
}
