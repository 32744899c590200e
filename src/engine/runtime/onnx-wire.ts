/**
 * Just enough of the ONNX protobuf wire format to write the engine's own small models (the KV slice, the
 * attention check, the CPU speed probe) and to add outputs to a package's graph (cpu-static-graph.ts).
 * Written directly: the engine shares no code with the model toolkit.
 */
import type { FloatType } from './tensors';

export type WireType = FloatType | 'int64' | 'int32' | 'uint8';

export const ELEM_TYPE: Readonly<Record<WireType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  float16: 10,
};

/** The WireType of a TensorProto data type, or undefined for one this writer does not know. */
export function wireTypeOf(elemType: number): WireType | undefined {
  return (Object.keys(ELEM_TYPE) as WireType[]).find((type) => ELEM_TYPE[type] === elemType);
}

/** A varint; a negative number as its 64-bit two's complement (ten bytes), as protobuf writes int64. */
export function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value);
  while (rest > 0x7fn) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
}

export function field(number: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint(number << 3), ...varint(value)];
  const bytes = typeof value === 'string' ? [...new TextEncoder().encode(value)] : value;
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

export interface WireValue {
  readonly name: string;
  readonly type: WireType;
  readonly dims: readonly (number | string)[];
}

/** An attribute: an integer, a float, or a list of integers. */
export type WireAttribute = number | { readonly float: number } | readonly number[];

export interface WireNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, WireAttribute>>;
  readonly domain?: string;
  /** The node's name; `opType` and its index when absent. */
  readonly name?: string;
}

export function valueInfo({ name, type, dims }: WireValue): number[] {
  const shape = dims.flatMap((dim) => field(1, typeof dim === 'number' ? field(1, dim) : field(2, dim)));
  const tensorType = [...field(1, ELEM_TYPE[type]), ...field(2, shape)];
  return [...field(1, name), ...field(2, field(1, tensorType))];
}

// AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT = 1, INT = 2, INTS = 7).
function attributeProto(name: string, value: WireAttribute): number[] {
  if (typeof value === 'number') return [...field(1, name), ...field(3, value), ...field(20, 2)];
  if ('float' in value) {
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, value.float, true);
    return [...field(1, name), ...varint((2 << 3) | 5), ...f, ...field(20, 1)];
  }
  return [...field(1, name), ...value.flatMap((v) => field(8, v)), ...field(20, 7)];
}

export function nodeProto(node: WireNode, index: number): number[] {
  const attributes = Object.entries(node.attributes ?? {}).flatMap(([name, value]) =>
    field(5, attributeProto(name, value)),
  );
  return [
    ...node.inputs.flatMap((input) => field(1, input)),
    ...node.outputs.flatMap((output) => field(2, output)),
    ...field(3, node.name ?? `${node.opType.toLowerCase()}${index}`),
    ...field(4, node.opType),
    ...attributes,
    ...(node.domain ? field(7, node.domain) : []),
  ];
}

/** A constant the model holds (MatMulInteger packs a constant weight once, an input on every run). */
export interface WireInitializer {
  readonly name: string;
  readonly type: WireType;
  readonly dims: readonly number[];
  /** The raw little-endian bytes. */
  readonly data: Uint8Array;
}

type Bytes = readonly number[] | Uint8Array;

export function concat(parts: readonly Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A length-delimited field around bytes too many to spread into an array. */
export function bytesField(number: number, bytes: Uint8Array): Uint8Array {
  return concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** A TensorProto holding the initializer (a graph's field 5). */
export function tensorProto({ name, type, dims, data }: WireInitializer): Uint8Array {
  // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
  const header = [...dims.flatMap((dim) => field(1, dim)), ...field(2, ELEM_TYPE[type]), ...field(8, name)];
  return concat([header, bytesField(9, data)]);
}

/** A ModelProto (IR 10, opset 21, plus com.microsoft 1 when a node is of that domain). */
export function wireModel(
  name: string,
  nodes: readonly WireNode[],
  inputs: readonly WireValue[],
  outputs: readonly WireValue[],
  initializers: readonly WireInitializer[] = [],
): Uint8Array {
  const graph = concat([
    nodes.flatMap((node, i) => field(1, nodeProto(node, i))),
    field(2, name),
    ...initializers.map((initializer) => bytesField(5, tensorProto(initializer))),
    inputs.flatMap((input) => field(11, valueInfo(input))),
    outputs.flatMap((output) => field(12, valueInfo(output))),
  ]);
  const domains = new Set(['', ...nodes.flatMap((node) => (node.domain ? [node.domain] : []))]);
  const opsets = [...domains].flatMap((domain) =>
    field(8, [...field(1, domain), ...field(2, domain === '' ? 21 : 1)]),
  );
  return concat([field(1, 10), bytesField(7, graph), opsets]);
}
