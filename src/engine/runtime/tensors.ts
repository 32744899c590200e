/** Moving float data between the engine's Float32Array working form and session tensors (fp32 or fp16). */
import { GlimpseError } from '../errors';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import type { Ort, OrtTensor } from './ort';

export type FloatType = 'float32' | 'float16';

export function isFloatType(type: string): type is FloatType {
  return type === 'float32' || type === 'float16';
}

export function createFloatTensor(
  ort: Ort,
  type: FloatType,
  data: Float32Array,
  dims: readonly number[],
): OrtTensor {
  return type === 'float32'
    ? new ort.Tensor('float32', data, dims)
    : new ort.Tensor('float16', float32ToFloat16(data), dims);
}

/** Reads a float tensor (from CPU or GPU memory) as float32 values. */
export async function readFloats(tensor: OrtTensor): Promise<Float32Array> {
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData();
  if (data instanceof Float32Array) return data;
  if (tensor.type === 'float16' && data instanceof Uint16Array) return float16ToFloat32(data);
  throw new GlimpseError('internal', `Expected a float tensor, got ${tensor.type}.`);
}

export function int64Tensor(ort: Ort, values: readonly number[], dims: readonly number[]): OrtTensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** Disposes every tensor of a session's output map except those the caller keeps. */
export function disposeExcept(outputs: Record<string, OrtTensor>, keep: ReadonlySet<OrtTensor>): void {
  for (const tensor of Object.values(outputs)) if (!keep.has(tensor)) tensor.dispose();
}
