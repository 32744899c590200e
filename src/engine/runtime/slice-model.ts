/**
 * The bytes of an ONNX model of Slice nodes, y = Slice(x, starts, ends, axes), for cutting the KV cache along the
 * sequence axis where it lives (GPU memory under WebGPU) instead of reading it back. Written directly in
 * the protobuf wire format: the engine shares no code with the model toolkit.
 */
import type { FloatType } from './tensors';

const ELEM_TYPE: Readonly<Record<FloatType | 'int64', number>> = { float32: 1, int64: 7, float16: 10 };

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function field(number: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint(number << 3), ...varint(value)];
  const bytes = typeof value === 'string' ? [...new TextEncoder().encode(value)] : value;
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

function valueInfo(name: string, type: FloatType | 'int64', dims: readonly (number | string)[]): number[] {
  const shape = dims.flatMap((dim) => field(1, typeof dim === 'number' ? field(1, dim) : field(2, dim)));
  const tensorType = [...field(1, ELEM_TYPE[type]), ...field(2, shape)];
  return [...field(1, name), ...field(2, field(1, tensorType))];
}

/**
 * `count` Slice nodes sharing one starts/ends/axes: y{i} = Slice(x{i}, starts, ends, axes). The whole KV
 * cache is cut in one run, not one run per layer and kind.
 */
export function sliceModel(type: FloatType, count = 1): Uint8Array {
  const dims = ['batch', 'heads', 'length', 'head_dim'];
  const slices = Array.from({ length: count }, (_, i) => i);
  const graph = [
    ...slices.flatMap((i) =>
      field(1, [
        ...[`x${i}`, 'starts', 'ends', 'axes'].flatMap((input) => field(1, input)),
        ...field(2, `y${i}`),
        ...field(3, `slice${i}`),
        ...field(4, 'Slice'),
      ]),
    ),
    ...field(2, 'kv_slice'),
    ...slices.flatMap((i) => field(11, valueInfo(`x${i}`, type, dims))),
    ...['starts', 'ends', 'axes'].flatMap((name) => field(11, valueInfo(name, 'int64', [1]))),
    ...slices.flatMap((i) => field(12, valueInfo(`y${i}`, type, ['batch', 'heads', 'kept', 'head_dim']))),
  ];
  const opset = [...field(1, ''), ...field(2, 21)];
  return Uint8Array.from([...field(1, 10), ...field(7, graph), ...field(8, opset)]);
}
