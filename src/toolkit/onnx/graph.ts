/**
 * A small graph-building layer over the compiled ONNX protobuf definitions (onnx-buf): value infos,
 * nodes, attributes, initializers and external data. Models written here use IR version 10, opset 21
 * for the default domain and com.microsoft version 1, which ONNX Runtime 1.30 (web and node) accepts.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';

export const IR_VERSION = 10n;
export const OPSET = 21n;
export const MS_DOMAIN = 'com.microsoft';

export type DataType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';
/** A fixed size, or a symbolic name such as 'batch' or 'past_sequence_length'. */
export type Dim = number | string;

export const ELEM_TYPE: Record<DataType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  uint8: TensorProto_DataType.UINT8,
  int8: TensorProto_DataType.INT8,
  bool: TensorProto_DataType.BOOL,
};

/** Typed array per dtype; float16 values are their IEEE half bit patterns in a Uint16Array. */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/** A float attribute whose value may be a whole number (plain integral numbers become INT attributes). */
export interface FloatAttr {
  readonly float: number;
}
export interface TensorAttr {
  readonly tensor: { readonly type: DataType; readonly dims: readonly number[]; readonly data: TensorData };
}
export type AttrValue = number | FloatAttr | readonly number[] | string | TensorAttr;

export function float(value: number): FloatAttr {
  return { float: value };
}

function valueInfo(name: string, type: DataType, shape: readonly Dim[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: ELEM_TYPE[type],
          shape: create(TensorShapeProtoSchema, {
            dim: shape.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value:
                  typeof d === 'number'
                    ? { case: 'dimValue', value: BigInt(d) }
                    : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensorProto(name: string, type: DataType, dims: readonly number[], data: TensorData): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const bytesPerElement = type === 'bool' ? 1 : data.BYTES_PER_ELEMENT;
  if (data.byteLength !== count * bytesPerElement) {
    throw new Error(`tensor ${name}: ${data.byteLength} bytes for dims [${dims}] of ${type}`);
  }
  return create(TensorProtoSchema, {
    name,
    dataType: ELEM_TYPE[type],
    dims: dims.map((d) => BigInt(d)),
    // Copy: the caller may reuse its buffer, and raw_data must hold exactly these bytes (little-endian).
    rawData: bytesOf(data).slice(),
  });
}

function isNumberList(value: AttrValue): value is readonly number[] {
  return Array.isArray(value);
}

function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) })
      : create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value });
  }
  if (isNumberList(value)) {
    const list = value;
    return list.every(Number.isInteger)
      ? create(AttributeProtoSchema, {
          name,
          type: AttributeProto_AttributeType.INTS,
          ints: list.map(BigInt),
        })
      : create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: [...list] });
  }
  if ('float' in value) {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.float });
  }
  const { type, dims, data } = value.tensor;
  return create(AttributeProtoSchema, {
    name,
    type: AttributeProto_AttributeType.TENSOR,
    t: tensorProto('', type, dims, data),
  });
}

export interface SerializeOptions {
  /**
   * Initializers of at least this many bytes go to a separate external-data file named `location`
   * (as the Hub's `X.onnx_data` files); smaller ones stay inline.
   */
  readonly externalData?: { readonly location: string; readonly minBytes: number };
  readonly docString?: string;
  readonly metadata?: Record<string, string>;
}

export interface SerializedModel {
  readonly model: Uint8Array;
  /** The external-data file's bytes, when any initializer was moved out. */
  readonly externalData?: Uint8Array;
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: {
    name: string;
    type: DataType;
    dims: readonly number[];
    data: TensorData;
  }[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private usesMsDomain = false;

  readonly graphName: string;

  constructor(graphName: string) {
    this.graphName = graphName;
  }

  /** A fresh value name derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, type: DataType, shape: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Declares a graph output; `value` is renamed to `name` with an Identity when they differ. */
  output(name: string, type: DataType, shape: readonly Dim[], value: string = name): void {
    if (value !== name) {
      this.claim(name);
      this.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [value], output: [name], name }));
    }
    this.outputs.push(valueInfo(name, type, shape));
  }

  initializer(name: string, type: DataType, dims: readonly number[], data: TensorData): string {
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, type, dims, data });
    return unique;
  }

  /** An int64 constant (shapes, axes, indices). */
  int64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(
      name,
      'int64',
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /** A float32 constant. */
  float32(
    name: string,
    values: readonly number[] | Float32Array,
    dims: readonly number[] = [values.length],
  ): string {
    return this.initializer(name, 'float32', dims, Float32Array.from(values));
  }

  /**
   * Adds a node and returns its output names. `outputs` is either a count of fresh names or explicit
   * names. Pass '' for an optional input that is left out.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    options: { outputs?: number | readonly string[]; domain?: string; name?: string } = {},
  ): string[] {
    const outSpec = options.outputs ?? 1;
    const outputs =
      typeof outSpec === 'number'
        ? Array.from({ length: outSpec }, (_, i) => this.fresh(`${options.name ?? opType}_out${i}`))
        : outSpec.map((n) => {
            this.claim(n);
            return n;
          });
    if (options.domain === MS_DOMAIN) this.usesMsDomain = true;
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain: options.domain ?? '',
        name: this.fresh(options.name ?? opType),
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /** A node with one output. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    options: { domain?: string; name?: string; output?: string } = {},
  ): string {
    const outputs = options.output === undefined ? 1 : [options.output];
    const [out] = this.node(opType, inputs, attrs, { ...options, outputs });
    if (out === undefined) throw new Error('unreachable: node without output');
    return out;
  }

  serialize(options: SerializeOptions = {}): SerializedModel {
    const external: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.initializers.map(({ name, type, dims, data }) => {
      const minBytes = options.externalData?.minBytes ?? Number.POSITIVE_INFINITY;
      if (!options.externalData || data.byteLength < minBytes) return tensorProto(name, type, dims, data);
      // Align each tensor so that runtimes may map it without copying.
      const padding = (64 - (offset % 64)) % 64;
      if (padding > 0) external.push(new Uint8Array(padding));
      offset += padding;
      const bytes = bytesOf(data);
      external.push(bytes);
      const proto = create(TensorProtoSchema, {
        name,
        dataType: ELEM_TYPE[type],
        dims: dims.map((d) => BigInt(d)),
        dataLocation: TensorProto_DataLocation.EXTERNAL,
        externalData: [
          create(StringStringEntryProtoSchema, { key: 'location', value: options.externalData.location }),
          create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
          create(StringStringEntryProtoSchema, { key: 'length', value: String(bytes.byteLength) }),
        ],
      });
      offset += bytes.byteLength;
      return proto;
    });
    const opsetImport = [create(OperatorSetIdProtoSchema, { domain: '', version: OPSET })];
    if (this.usesMsDomain)
      opsetImport.push(create(OperatorSetIdProtoSchema, { domain: MS_DOMAIN, version: 1n }));
    const model = create(ModelProtoSchema, {
      irVersion: IR_VERSION,
      producerName: 'glimpse-toolkit',
      producerVersion: '1',
      docString: options.docString ?? '',
      opsetImport,
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) =>
        create(StringStringEntryProtoSchema, { key, value }),
      ),
      graph: create(GraphProtoSchema, {
        name: this.graphName,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer,
      }),
    });
    const bytes = toBinary(ModelProtoSchema, model);
    if (external.length === 0) return { model: bytes };
    const data = new Uint8Array(offset);
    let at = 0;
    for (const chunk of external) {
      data.set(chunk, at);
      at += chunk.byteLength;
    }
    return { model: bytes, externalData: data };
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`value name ${name} is already used`);
    this.names.add(name);
  }
}
