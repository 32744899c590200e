/**
 * A decoder's q, k and v projections packed into one, at load time on WebGPU: where a layer's
 * GroupQueryAttention takes three projections of the same input (MatMulNBits, or MatMul by a constant
 * weight, each with its bias Add or none, and in half precision each between Casts of its own, as the
 * toolkit's q4f16 and fp16 graphs have them), their weights are joined along the output axis and one node
 * (with one Cast on each side) computes all three. A decode step is a few hundred small kernels, each costing the CPU its dispatch, so
 * two fewer per layer count (bench/README.md, issue 14).
 *
 * Where q and k reach the attention unrotated (or rotated by the attention itself, do_rotary), the packed
 * projection goes to GroupQueryAttention as its packed-QKV query, with key and value empty: onnxruntime's
 * WebGPU provider then splits and rotates it in one kernel, or inside its flash attention. Where each goes
 * through its own RotaryEmbedding (the toolkit's merged decoders, and its static ones for heads too small
 * for the provider's rotary), a Split gives the three back before them.
 *
 * Packing is exact: MatMulNBits quantises each output row on its own, so the joined weights are the three
 * quantised ones side by side, and every row's sum runs as it did. A layer whose projections differ in
 * kind, input, attributes or dtype, whose weights are in a data file not given, or whose values are used
 * elsewhere, is left as it is; `skipped` says why.
 */
import {
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  type ModelGraph,
  readModelGraph,
} from '../runtime/onnx-graph';
import {
  fields,
  type ReadNode,
  type ReadTensor,
  readNode,
  readTensor,
  readValue,
} from '../runtime/onnx-read';
import {
  bytesField,
  concat,
  field,
  nodeProto,
  tensorProto,
  type WireNode,
  wireTypeOf,
} from '../runtime/onnx-wire';

const MS_DOMAIN = 'com.microsoft';
/** Bytes an element of each TensorProto data type takes, for the types a projection's weights have. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 10: 2 };

export interface PackedQkv {
  readonly model: Uint8Array;
  /** Layers whose projections were packed. */
  readonly packed: number;
  /** Why each attention left unpacked was. */
  readonly skipped: readonly string[];
}

/** What feeds one of an attention's q, k, v inputs: a linear, its bias Add, and for q and k a RotaryEmbedding. */
interface Projection {
  /** The value the projection is of: the linear's input, or what a Cast of its own (to half floats) reads. */
  readonly source: string;
  readonly castBefore?: readonly [number, ReadNode];
  readonly linearAt: number;
  readonly linear: ReadNode;
  /** A Cast of the linear's output (back to float32), before the bias. */
  readonly castAfter?: readonly [number, ReadNode];
  readonly biasAt?: number;
  readonly bias?: ReadTensor;
  readonly rotaryAt?: number;
  readonly rotary?: ReadNode;
  /** The linear's output columns. */
  readonly columns: number;
}

/** A layer's edits, made only once all of them are known to apply. */
interface LayerEdits {
  /** Where the packed projection's fields go: before the first of the three linears. */
  readonly at: number;
  readonly added: readonly Uint8Array[];
  readonly dropped: readonly number[];
  readonly replaced: ReadonlyMap<number, Uint8Array>;
  /** Values no node produces any more, whose value_info must go too. */
  readonly goneValues: readonly string[];
}

class Skip extends Error {}

function intOf(node: ReadNode, name: string): number | undefined {
  const value = node.attributes.get(name);
  return typeof value === 'number' ? value : undefined;
}

/** A tensor's values from the data file it names, when that file is at hand and holds them. */
function externalValues(tensor: ReadTensor, files: ReadonlyMap<string, Uint8Array>): { raw?: Uint8Array } {
  const { external } = tensor;
  const file = external && files.get(external.location);
  if (!external || !file) return {};
  const end = external.length === undefined ? file.length : external.offset + external.length;
  return end <= file.length ? { raw: file.subarray(external.offset, end) } : {};
}

/** The graph's nodes, initializers and who produces and uses each value, by field index. */
class GraphIndex {
  readonly nodes = new Map<number, ReadNode>();
  readonly tensors = new Map<string, ReadTensor & { readonly at: number }>();
  private readonly producers = new Map<string, number>();
  private readonly uses = new Map<string, number>();

  /** `external`: the data files beside the model by the name it records, for weights stored there. */
  constructor(graph: ModelGraph, external: ReadonlyMap<string, Uint8Array>) {
    const use = (name: string) => this.uses.set(name, (this.uses.get(name) ?? 0) + 1);
    graph.fields.forEach((f, at) => {
      if (!f.body) return;
      if (f.number === GRAPH_NODE) {
        const node = readNode(f.body);
        this.nodes.set(at, node);
        for (const output of node.outputs) this.producers.set(output, at);
        for (const input of node.inputs) use(input);
      } else if (f.number === GRAPH_INITIALIZER) {
        const tensor = readTensor(f.body);
        this.tensors.set(tensor.name, { ...tensor, ...externalValues(tensor, external), at });
      } else if (f.number === GRAPH_OUTPUT) use(readValue(f.body).name);
    });
  }

  producedBy(value: string, opType: string, domain = ''): [number, ReadNode] | undefined {
    const at = this.producers.get(value);
    const node = at === undefined ? undefined : this.nodes.get(at);
    return at !== undefined && node?.opType === opType && node.domain === domain ? [at, node] : undefined;
  }

  usedOnce(value: string): boolean {
    return this.uses.get(value) === 1;
  }
}

/** The model with each layer's q, k and v projections packed where they can be (see above). */
export function withPackedQkv(
  model: Uint8Array,
  external: ReadonlyMap<string, Uint8Array> = new Map(),
): PackedQkv {
  const { graph, packed, skipped } = packQkv(readModelGraph(model), external);
  return { model: packed > 0 ? graph.bytes() : model, packed, skipped };
}

/**
 * The graph with each layer's q, k and v projections packed where they can be, not yet copied out. Weights
 * the model keeps in data files beside it are read from `external` (by the location the model records);
 * the packed ones are written into the model itself.
 */
export function packQkv(
  graph: ModelGraph,
  external: ReadonlyMap<string, Uint8Array> = new Map(),
): {
  graph: ModelGraph;
  packed: number;
  skipped: readonly string[];
} {
  const index = new GraphIndex(graph, external);
  const layers: LayerEdits[] = [];
  const skipped: string[] = [];
  for (const [at, attention] of index.nodes) {
    if (attention.opType !== 'GroupQueryAttention' || attention.domain !== MS_DOMAIN) continue;
    const [q, k, v] = attention.inputs;
    if (!q || !k || !v) continue;
    try {
      layers.push(packLayer(graph, index, at, attention));
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      skipped.push(err.message);
    }
  }
  if (layers.length === 0) return { graph, packed: 0, skipped };
  const added = new Map(layers.map((layer) => [layer.at, layer.added]));
  const dropped = new Set(layers.flatMap((layer) => layer.dropped));
  const replaced = new Map(layers.flatMap((layer) => [...layer.replaced]));
  const gone = new Set(layers.flatMap((layer) => layer.goneValues));
  const parts: Uint8Array[] = [];
  graph.fields.forEach((f, at) => {
    parts.push(...(added.get(at) ?? []));
    if (dropped.has(at)) return;
    if (f.number === GRAPH_VALUE_INFO && f.body && gone.has(readValue(f.body).name)) return;
    parts.push(replaced.get(at) ?? f.bytes);
  });
  return { graph: graph.edit(parts), packed: layers.length, skipped };
}

/** What computes one input of `attention` (the `which` of q, k, v); Skip where it is not a projection. */
function projectionOf(index: GraphIndex, attention: ReadNode, which: number): Projection {
  const what = `${attention.name}'s ${'qkv'[which]}`;
  let value = attention.inputs[which] ?? '';
  const once = (name: string) => {
    if (!index.usedOnce(name)) throw new Skip(`${what} is used elsewhere`);
  };
  once(value);
  const rotaryAt = index.producedBy(value, 'RotaryEmbedding', MS_DOMAIN);
  if (rotaryAt) {
    value = rotaryAt[1].inputs[0] ?? '';
    once(value);
  }
  const addAt = index.producedBy(value, 'Add');
  let bias: ReadTensor | undefined;
  if (addAt) {
    const [a = '', b = ''] = addAt[1].inputs;
    bias = index.tensors.get(b) ?? index.tensors.get(a);
    if (bias?.dims.length !== 1) throw new Skip(`${what} adds something other than a bias vector`);
    value = bias.name === b ? a : b;
    once(value);
  }
  // The half-precision linears (q4f16, fp16) run between two Casts of their own.
  const castAfter = index.producedBy(value, 'Cast');
  if (castAfter) {
    value = castAfter[1].inputs[0] ?? '';
    once(value);
  }
  const linearAt = index.producedBy(value, 'MatMulNBits', MS_DOMAIN) ?? index.producedBy(value, 'MatMul');
  if (!linearAt) throw new Skip(`${what} is not computed by a MatMulNBits or MatMul`);
  const [at, linear] = linearAt;
  const columns =
    linear.opType === 'MatMul' ? index.tensors.get(linear.inputs[1] ?? '')?.dims[1] : intOf(linear, 'N');
  if (columns === undefined) throw new Skip(`${what}: its weight is not a constant`);
  const input = linear.inputs[0] ?? '';
  const castBefore = index.usedOnce(input) ? index.producedBy(input, 'Cast') : undefined;
  return {
    source: castBefore ? (castBefore[1].inputs[0] ?? '') : input,
    ...(castBefore ? { castBefore } : {}),
    ...(castAfter ? { castAfter } : {}),
    linearAt: at,
    linear,
    columns,
    ...(addAt && bias ? { biasAt: addAt[0], bias } : {}),
    ...(rotaryAt ? { rotaryAt: rotaryAt[0], rotary: rotaryAt[1] } : {}),
  };
}

function nodeField(node: WireNode): Uint8Array {
  return bytesField(GRAPH_NODE, Uint8Array.from(nodeProto(node, 0)));
}

function packLayer(
  graph: ModelGraph,
  index: GraphIndex,
  attentionAt: number,
  attention: ReadNode,
): LayerEdits {
  const projections = [0, 1, 2].map((which) => projectionOf(index, attention, which));
  const [q, k, v] = projections;
  if (!q || !k || !v) throw new Skip('unreachable: three projections');
  const where = attention.name;
  if (v.rotary || Boolean(q.rotary) !== Boolean(k.rotary))
    throw new Skip(`${where}: q and k are not rotated alike`);
  if (projections.some((p) => Boolean(p.bias) !== Boolean(q.bias)))
    throw new Skip(`${where}: some projections have a bias and some not`);
  if (projections.some((p) => p.source !== q.source))
    throw new Skip(`${where}: q, k and v are not projections of one input`);
  const castTo = (cast: readonly [number, ReadNode] | undefined) => (cast ? intOf(cast[1], 'to') : undefined);
  for (const cast of ['castBefore', 'castAfter'] as const)
    if (projections.some((p) => castTo(p[cast]) !== castTo(q[cast])))
      throw new Skip(`${where}: the projections are not cast alike`);
  const name = `glimpse.packed_qkv/${where}`;
  const added: Uint8Array[] = [];
  const cast = (from: string, to: number | undefined, suffix: string): string => {
    if (to === undefined) return from;
    const output = `${name}/${suffix}`;
    added.push(
      nodeField({ opType: 'Cast', inputs: [from], outputs: [output], attributes: { to }, name: output }),
    );
    return output;
  };
  const input = cast(q.source, castTo(q.castBefore), 'cast_in');
  const linear = packLinears(
    projections.map((p) => p.linear),
    index.tensors,
    name,
  );
  added.unshift(...linear.initializers.map((t) => bytesField(GRAPH_INITIALIZER, t)));
  const linearInputs = [input, ...linear.node.inputs.slice(1)];
  added.push(
    nodeField({ ...linear.node, inputs: linearInputs, name: `${name}/linear`, outputs: [`${name}/linear`] }),
  );
  let packed = cast(`${name}/linear`, castTo(q.castAfter), 'cast_out');
  if (q.bias) {
    const biases = projections.map((p) => p.bias as ReadTensor);
    added.push(bytesField(GRAPH_INITIALIZER, joinRows(biases, `${name}/bias`, 1)));
    added.push(
      nodeField({
        opType: 'Add',
        inputs: [packed, `${name}/bias`],
        outputs: [`${name}/sum`],
        name: `${name}/add`,
      }),
    );
    packed = `${name}/sum`;
  }
  const replaced = new Map<number, Uint8Array>();
  const node = (at: number | undefined) => {
    const body = at === undefined ? undefined : graph.fields[at]?.body;
    if (!body) throw new Skip('unreachable: a node without a body');
    return body;
  };
  const vValue = attention.inputs[2] ?? '';
  if (q.rotary && k.rotary) {
    // Each RotaryEmbedding rotates one of q and k: a Split gives them back, and v under its own name.
    const sizes = projections.map((p) => p.columns);
    const [qValue, kValue] = [`${name}/q`, `${name}/k`];
    const outputs = [qValue, kValue, vValue];
    const modern = graph.opset >= 13;
    if (modern)
      added.push(
        nodeField({
          opType: 'Constant',
          inputs: [],
          outputs: [`${name}/sizes`],
          attributes: { value_ints: sizes },
          name: `${name}/sizes`,
        }),
      );
    added.push(
      nodeField({
        opType: 'Split',
        inputs: modern ? [packed, `${name}/sizes`] : [packed],
        outputs,
        attributes: modern ? { axis: -1 } : { axis: -1, split: sizes },
        name: `${name}/split`,
      }),
    );
    for (const [p, input] of [
      [q, qValue],
      [k, kValue],
    ] as const)
      replaced.set(
        p.rotaryAt ?? -1,
        bytesField(GRAPH_NODE, withInputs(node(p.rotaryAt), [input, ...(p.rotary?.inputs.slice(1) ?? [])])),
      );
  } else {
    const [, , , ...rest] = attention.inputs;
    replaced.set(
      attentionAt,
      bytesField(GRAPH_NODE, withInputs(node(attentionAt), [packed, '', '', ...rest])),
    );
  }
  const dropped = projections.flatMap((p) => [
    p.linearAt,
    ...[p.biasAt, p.castBefore?.[0], p.castAfter?.[0]].filter((at) => at !== undefined),
  ]);
  for (const tensor of [...linear.replacedTensors, ...projections.map((p) => p.bias?.name ?? '')]) {
    const at = index.tensors.get(tensor)?.at;
    if (at !== undefined && index.usedOnce(tensor)) dropped.push(at);
  }
  const goneValues = projections
    .flatMap((p) => [
      ...p.linear.outputs,
      ...[p.biasAt, p.castBefore?.[0], p.castAfter?.[0]].flatMap((at) =>
        at === undefined ? [] : (index.nodes.get(at)?.outputs ?? []),
      ),
    ])
    .filter((value) => !(q.rotary && value === vValue));
  return { at: Math.min(...projections.map((p) => p.linearAt)), added, dropped, replaced, goneValues };
}

/** A NodeProto with its inputs replaced, everything else (attributes of any kind) as it was. */
function withInputs(body: Uint8Array | undefined, inputs: readonly string[]): Uint8Array {
  if (!body) throw new Skip('unreachable: a node without a body');
  const kept = fields(body).filter((f) => f.number !== 1);
  return concat([
    ...inputs.map((input) => field(1, input)),
    ...kept.map((f) => body.subarray(f.start, f.end)),
  ]);
}

/**
 * The three linears as one: MatMulNBits' B, scales and zero points hold one output row after another, so
 * they join end to end; MatMul's weight [K, N] joins along its columns.
 */
function packLinears(
  linears: readonly ReadNode[],
  tensors: ReadonlyMap<string, ReadTensor>,
  prefix: string,
): { node: WireNode; initializers: Uint8Array[]; replacedTensors: string[] } {
  const where = prefix.slice(prefix.indexOf('/') + 1);
  const [first] = linears;
  if (!first) throw new Skip('unreachable: no linears');
  const [x = ''] = first.inputs;
  if (linears.some((l) => l.opType !== first.opType))
    throw new Skip(`${where}: q, k and v are not computed by one kind of linear`);
  if (first.opType === 'MatMul') {
    const weights = linears.map((l) => tensors.get(l.inputs[1] ?? ''));
    if (weights.some((w) => w?.dims.length !== 2 || w.dims[0] !== weights[0]?.dims[0]))
      throw new Skip(`${where}: the weights are not matrices of one height`);
    const joined = joinRows(weights as ReadTensor[], `${prefix}/weight`, weights[0]?.dims[0] ?? 0);
    return {
      node: { opType: 'MatMul', inputs: [x, `${prefix}/weight`], outputs: [] },
      initializers: [joined],
      replacedTensors: weights.map((w) => w?.name ?? ''),
    };
  }
  const numbers = ['K', 'bits', 'block_size', 'accuracy_level'];
  for (const l of linears) {
    for (const [name, value] of l.attributes) {
      if (typeof value !== 'number') throw new Skip(`${where}: MatMulNBits attribute ${name}`);
      if (name !== 'N' && value !== first.attributes.get(name))
        throw new Skip(`${where}: the linears' ${name} differ`);
      if (name !== 'N' && !numbers.includes(name)) throw new Skip(`${where}: MatMulNBits attribute ${name}`);
    }
    if (l.inputs.length > 4 || l.inputs.length !== first.inputs.length)
      throw new Skip(`${where}: MatMulNBits inputs past zero_points, or some without zero points`);
  }
  const rows = linears.map((l) => intOf(l, 'N') ?? 0);
  const inputs = [x];
  const initializers: Uint8Array[] = [];
  const replacedTensors: string[] = [];
  for (let i = 1; i < first.inputs.length; i++) {
    const parts = linears.map((l) => tensors.get(l.inputs[i] ?? ''));
    if (parts.some((t) => !t)) throw new Skip(`${where}: MatMulNBits input ${i} is not a constant`);
    const name = `${prefix}/${['', 'B', 'scales', 'zero_points'][i]}`;
    initializers.push(joinBlocks(parts as ReadTensor[], rows, name));
    inputs.push(name);
    replacedTensors.push(...parts.map((t) => t?.name ?? ''));
  }
  const attributes = Object.fromEntries(
    [...first.attributes].map(([name, value]) => [
      name,
      name === 'N' ? rows.reduce((a, b) => a + b, 0) : (value as number),
    ]),
  );
  return {
    node: { opType: 'MatMulNBits', inputs, outputs: [], attributes, domain: MS_DOMAIN },
    initializers,
    replacedTensors,
  };
}

function checkedRaw(tensors: readonly ReadTensor[]): Uint8Array[] {
  const [first] = tensors;
  return tensors.map((t) => {
    if (!t.raw)
      throw new Skip(
        t.external
          ? `${t.name}'s values are in ${t.external.location}, which was not given`
          : `${t.name}'s values are not in raw_data`,
      );
    if (t.dataType !== first?.dataType) throw new Skip(`${t.name} is not of ${first?.name}'s type`);
    return t.raw;
  });
}

/** MatMulNBits tensors whose leading axis (or, flat, whose whole length) is the output rows. */
function joinBlocks(tensors: readonly ReadTensor[], rows: readonly number[], name: string): Uint8Array {
  const raws = checkedRaw(tensors);
  const rowBytes = raws.map((raw, i) => raw.length / (rows[i] ?? 1));
  if (rowBytes.some((bytes) => !Number.isInteger(bytes) || bytes !== rowBytes[0]))
    throw new Skip(`${name}: the tensors' rows are not of one size`);
  const [first] = tensors;
  const total = rows.reduce((a, b) => a + b, 0);
  const dims =
    first && first.dims.length > 1
      ? [total, ...first.dims.slice(1)]
      : [raws.reduce((sum, raw) => sum + raw.length, 0) / (ELEMENT_BYTES[first?.dataType ?? 0] ?? 1)];
  return initializer(name, first?.dataType ?? 0, dims, concat(raws));
}

/** Matrices [height, width_i] joined side by side, row by row; a height of 1 for vectors. */
function joinRows(tensors: readonly ReadTensor[], name: string, height: number): Uint8Array {
  const raws = checkedRaw(tensors);
  const size = ELEMENT_BYTES[tensors[0]?.dataType ?? 0];
  if (size === undefined) throw new Skip(`${name}: data type ${tensors[0]?.dataType}`);
  const widths = raws.map((raw) => raw.length / size / height);
  const width = widths.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(height * width * size);
  let at = 0;
  for (let row = 0; row < height; row++) {
    raws.forEach((raw, i) => {
      const bytes = (widths[i] ?? 0) * size;
      out.set(raw.subarray(row * bytes, (row + 1) * bytes), at);
      at += bytes;
    });
  }
  return initializer(
    name,
    tensors[0]?.dataType ?? 0,
    height === 1 && tensors[0]?.dims.length === 1 ? [width] : [height, width],
    out,
  );
}

function initializer(name: string, dataType: number, dims: readonly number[], data: Uint8Array): Uint8Array {
  const type = wireTypeOf(dataType);
  if (!type) throw new Skip(`${name}: data type ${dataType}`);
  return tensorProto({ name, type, dims, data });
}
