/**
 * decoder_model_static (toolkit/decoder/llama-graph.ts) rewired for the CPU backend, at load time.
 *
 * The graph's GroupQueryAttention appends in place when past and present are one buffer, which WebGPU
 * gets by binding one GPU buffer to both. onnxruntime-node 1.30 cannot: a caller-allocated output is
 * written in place and then copied out whole into a new ArrayBuffer on every run, so a cache fetched as
 * `present.*` costs a write of its whole capacity into fresh memory per step (page faults included:
 * `tools/profile/attention-kernels.ts`). Here the present outputs stay inside the runtime (its arena
 * reuses their memory) and the graph hands back only the positions the run added, `new.N.key/value`,
 * which the caller writes into its own buffers (cpu-static-decoder.ts). The past inputs keep their fixed
 * capacity; GroupQueryAttention reads the lengths from seqlens_k.
 *
 * The last-position Slice before lm_head (the node `logits/last`) takes its start from an input, so a
 * run with draft tokens gets the logits, and `next_token` the argmax, of each of its last positions.
 */
import { bytesField, concat, field, nodeProto, valueInfo, type WireValue } from '../runtime/onnx-wire';

/** Inputs the rewired graph adds: the first logits row (negative, from the end) and the new KV rows' box. */
export const LOGITS_START = 'glimpse.logits_start';
export const KV_STARTS = 'glimpse.kv_starts';
export const KV_ENDS = 'glimpse.kv_ends';

/** The output holding the keys or values a run added to a layer's cache: `present.N.*` renamed. */
export function newRowsName(layer: number, kind: 'key' | 'value'): string {
  return `new.${layer}.${kind}`;
}

interface Field {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  /** The payload of a length-delimited field. */
  readonly body?: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const byte = bytes[i++];
    if (byte === undefined) throw new Error('truncated protobuf');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}

/** The top-level fields of a protobuf message, in order. */
function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [key, afterKey] = readVarint(bytes, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) at = readVarint(bytes, afterKey)[1];
    else if (wire === 1) at = afterKey + 8;
    else if (wire === 5) at = afterKey + 4;
    else if (wire === 2) {
      const [length, bodyStart] = readVarint(bytes, afterKey);
      at = bodyStart + length;
      out.push({ number, start, end: at, body: bytes.subarray(bodyStart, at) });
      continue;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    out.push({ number, start, end: at });
  }
  if (at !== bytes.length) throw new Error('truncated protobuf');
  return out;
}

const decoder = new TextDecoder();

/** The strings of one repeated field of a message (a node's inputs, a value's name). */
function strings(message: Uint8Array, number: number): string[] {
  return fields(message).flatMap((f) => (f.number === number && f.body ? [decoder.decode(f.body)] : []));
}

// GraphProto: node = 1, input = 11, output = 12. NodeProto: input = 1, output = 2, name = 3, op_type = 4.
const GRAPH = 7;
const NODE = 1;
const INPUT = 11;
const OUTPUT = 12;

const PRESENT = /^present\.\d+\.(key|value)$/;

/**
 * The rewired model; throws when the graph is not a static decoder of the toolkit's layout (no
 * `logits/last` Slice, no logits, next_token or present outputs).
 */
export function cpuStaticGraph(model: Uint8Array): Uint8Array {
  const top = fields(model);
  // Protobuf merges the repeated occurrences of a message field: a model streamed in fragments (the
  // converter's graph, then each large initializer as a graph of its own) has one graph, their concatenation.
  const fragments = top.filter((f) => f.number === GRAPH);
  const graph = concat(fragments.flatMap((f) => (f.body ? [f.body] : [])));
  if (fragments.length === 0) throw new Error('the model has no graph');
  const kept: Uint8Array[] = [];
  const presents: string[] = [];
  const removed = new Set<string>();
  let lastRow: number[] | undefined;
  for (const f of fields(graph)) {
    const body = f.body;
    if (f.number === OUTPUT && body) {
      const [name = ''] = strings(body, 1);
      if (PRESENT.test(name)) presents.push(name);
      if (PRESENT.test(name) || name === 'logits' || name === 'next_token') {
        removed.add(name);
        continue;
      }
    }
    if (f.number === NODE && body && strings(body, 3)[0] === 'logits/last') {
      const [data = '', , end = '', axes = ''] = strings(body, 1);
      lastRow = nodeProto(
        {
          opType: 'Slice',
          inputs: [data, LOGITS_START, end, axes],
          outputs: strings(body, 2),
          name: 'logits/last',
        },
        0,
      );
      continue;
    }
    kept.push(graph.subarray(f.start, f.end));
  }
  if (!lastRow || presents.length === 0 || !removed.has('logits') || !removed.has('next_token'))
    throw new Error('the graph is not a static decoder of the layout this engine rewires');
  const added = presents.map((present) => present.replace('present.', 'new.'));
  const nodes = presents.map((present, i) =>
    nodeProto(
      {
        opType: 'Slice',
        inputs: [present, KV_STARTS, KV_ENDS],
        outputs: [added[i] ?? ''],
        name: `${present}/new_rows`,
      },
      i,
    ),
  );
  const inputs: WireValue[] = [
    { name: LOGITS_START, type: 'int64', dims: [1] },
    { name: KV_STARTS, type: 'int64', dims: [4] },
    { name: KV_ENDS, type: 'int64', dims: [4] },
  ];
  const outputs: WireValue[] = [
    { name: 'logits', type: 'float32', dims: ['batch_size', 'rows', 'vocab'] },
    { name: 'next_token', type: 'int32', dims: ['batch_size', 'rows'] },
    ...added.map((name) => ({
      name,
      type: 'float32' as const,
      dims: ['batch_size', 'kv_heads', 'new_positions', 'head_dim'],
    })),
  ];
  const rewired = concat([
    ...kept,
    field(NODE, lastRow),
    ...nodes.map((node) => field(NODE, node)),
    ...inputs.map((input) => field(INPUT, valueInfo(input))),
    ...outputs.map((output) => field(OUTPUT, valueInfo(output))),
  ]);
  return concat(
    top.flatMap((f) => {
      if (f.number !== GRAPH) return [model.subarray(f.start, f.end)];
      return f === fragments[0] ? [bytesField(GRAPH, rewired)] : [];
    }),
  );
}
