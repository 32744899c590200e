/**
 * Just enough of the ONNX protobuf wire format to read a package's graph at load and rewire it
 * (cpu-static-graph.ts, two-part-attention.ts): a message's top-level fields, a node's names and its
 * attributes. The writing side is onnx-wire.ts.
 */

export interface Field {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  /** The payload of a length-delimited field. */
  readonly body?: Uint8Array;
  /** The value of a varint field, as the unsigned 64 bits it holds. */
  readonly varint?: bigint;
  /** The bytes of a fixed 32- or 64-bit field. */
  readonly fixed?: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  let i = at;
  for (;;) {
    const byte = bytes[i++];
    if (byte === undefined) throw new Error('truncated protobuf');
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [value, i];
    shift += 7n;
  }
}

/** The top-level fields of a protobuf message, in order. */
export function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [key, afterKey] = readVarint(bytes, at);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [varint, next] = readVarint(bytes, afterKey);
      at = next;
      out.push({ number, start, end: at, varint });
    } else if (wire === 1 || wire === 5) {
      at = afterKey + (wire === 1 ? 8 : 4);
      out.push({ number, start, end: at, fixed: bytes.subarray(afterKey, at) });
    } else if (wire === 2) {
      const [length, bodyStart] = readVarint(bytes, afterKey);
      at = bodyStart + Number(length);
      out.push({ number, start, end: at, body: bytes.subarray(bodyStart, at) });
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  if (at !== bytes.length) throw new Error('truncated protobuf');
  return out;
}

const decoder = new TextDecoder();

/** The strings of one repeated field of a message (a node's inputs, a value's name). */
export function strings(message: Uint8Array, number: number): string[] {
  return fields(message).flatMap((f) => (f.number === number && f.body ? [decoder.decode(f.body)] : []));
}

/** An attribute's value: an integer, a float, a list of integers, or a kind this reader does not decode. */
export type ReadAttribute =
  | number
  | { readonly float: number }
  | readonly number[]
  | { readonly other: true };

function signed(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

/** A NodeProto's attributes by name (NodeProto: attribute = 5; AttributeProto: name 1, f 2, i 3, ints 8, type 20). */
export function attributes(node: Uint8Array): Map<string, ReadAttribute> {
  const out = new Map<string, ReadAttribute>();
  for (const f of fields(node)) {
    if (f.number !== 5 || !f.body) continue;
    const parts = fields(f.body);
    const name = strings(f.body, 1)[0] ?? '';
    const type = Number(parts.find((p) => p.number === 20)?.varint ?? 0n);
    if (type === 1) {
      const fixed = parts.find((p) => p.number === 2)?.fixed;
      const float = fixed ? new DataView(fixed.buffer, fixed.byteOffset, 4).getFloat32(0, true) : 0;
      out.set(name, { float });
    } else if (type === 2) out.set(name, signed(parts.find((p) => p.number === 3)?.varint ?? 0n));
    else if (type === 7) out.set(name, intList(parts, 8));
    else out.set(name, { other: true });
  }
  return out;
}

/** The values of a repeated integer field, written packed or one field each. */
function intList(parts: readonly Field[], number: number): number[] {
  const values: number[] = [];
  for (const p of parts) {
    if (p.number !== number) continue;
    if (p.varint !== undefined) values.push(signed(p.varint));
    else if (p.body) {
      let at = 0;
      while (at < p.body.length) {
        const [value, next] = readVarint(p.body, at);
        values.push(signed(value));
        at = next;
      }
    }
  }
  return values;
}

/** A NodeProto as a graph rewrite reads it (NodeProto: input 1, output 2, name 3, op_type 4, domain 7). */
export interface ReadNode {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, ReadAttribute>;
}

export function readNode(body: Uint8Array): ReadNode {
  return {
    opType: strings(body, 4)[0] ?? '',
    domain: strings(body, 7)[0] ?? '',
    name: strings(body, 3)[0] ?? '',
    inputs: strings(body, 1),
    outputs: strings(body, 2),
    attributes: attributes(body),
  };
}

/**
 * An initializer (TensorProto: dims 1, data_type 2, name 8, raw_data 9, external_data 13, data_location 14).
 * `raw` holds its values where the model does; `external` says where in which file beside the model they
 * are instead. Neither is there for values held in the typed fields, which a rewrite that moves bytes
 * leaves alone.
 */
export interface ReadTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly raw?: Uint8Array;
  readonly external?: { readonly location: string; readonly offset: number; readonly length?: number };
}

export function readTensor(body: Uint8Array): ReadTensor {
  const parts = fields(body);
  const name = strings(body, 8)[0] ?? '';
  const dataType = Number(parts.find((p) => p.number === 2)?.varint ?? 0n);
  const dims = intList(parts, 1);
  // data_location 1 is EXTERNAL, whatever raw_data says.
  if (parts.some((p) => p.number === 14 && p.varint === 1n)) {
    // StringStringEntryProto: key 1, value 2.
    const entries = new Map(
      parts.flatMap((p) =>
        p.number === 13 && p.body
          ? [[strings(p.body, 1)[0] ?? '', strings(p.body, 2)[0] ?? ''] as const]
          : [],
      ),
    );
    const location = entries.get('location');
    const length = entries.get('length');
    return {
      name,
      dataType,
      dims,
      ...(location === undefined
        ? {}
        : {
            external: {
              location,
              offset: Number(entries.get('offset') ?? 0),
              ...(length === undefined ? {} : { length: Number(length) }),
            },
          }),
    };
  }
  const raw = parts.find((p) => p.number === 9)?.body;
  return { name, dataType, dims, ...(raw ? { raw } : {}) };
}

/** A tensor input or output of a graph (ValueInfoProto: name 1, type 2 → tensor_type 1 → elem_type 1, shape 2 → dim 1 → value 1 | param 2). */
export interface ReadValue {
  readonly name: string;
  /** TensorProto.DataType: 1 float, 10 float16, 7 int64, …; 0 when not a tensor. */
  readonly elemType: number;
  /** Each dimension's size, its symbolic name, or '' when neither is given. */
  readonly dims: readonly (number | string)[];
}

function only(message: Uint8Array | undefined, number: number): Field | undefined {
  return message ? fields(message).find((f) => f.number === number) : undefined;
}

export function readValue(valueInfo: Uint8Array): ReadValue {
  const name = strings(valueInfo, 1)[0] ?? '';
  const tensor = only(only(valueInfo, 2)?.body, 1)?.body;
  const elemType = Number(only(tensor, 1)?.varint ?? 0n);
  const shape = only(tensor, 2)?.body;
  const dims = (shape ? fields(shape) : []).flatMap((dim): (number | string)[] => {
    if (dim.number !== 1 || !dim.body) return [];
    const [part] = fields(dim.body);
    if (part?.number === 1 && part.varint !== undefined) return [signed(part.varint)];
    return [part?.number === 2 && part.body ? decoder.decode(part.body) : ''];
  });
  return { name, elemType, dims };
}
