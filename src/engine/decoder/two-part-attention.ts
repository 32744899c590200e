/**
 * GroupQueryAttention of the static decoder replaced, at load on the cpu backend, by standard ops that read
 * the engine's KV buffers where they lie (cpu-static-graph.ts, cpu-static-decoder.ts).
 *
 * Why: with its present no longer one buffer with the past (onnxruntime-node copies out every fetched
 * output, so the cpu backend keeps present.* inside the runtime), onnxruntime's CPU GroupQueryAttention
 * clears a present as long as the past buffer and copies the past into it on every run, in every layer:
 * most of a decode step's kernel time at a photo question's length (bench/README.md, issue 15).
 *
 * Here attention runs in two parts and nothing of the past is copied: the scores of the past,
 * q·K_pastᵀ, and of the run's own positions, q·k_newᵀ, one softmax over both score blocks side by side
 * (only the scores are concatenated), then P_past·V_past + P_new·v_new. The past may be longer than its
 * valid length (a buffer of fixed capacity): the keys from total_sequence_length − new positions on are
 * masked out; the new positions see each other causally (a prefill chunk, draft tokens). Query heads are
 * grouped under their KV head as rows ([B, kvHeads, groups × S, D]), so K and V are never expanded.
 * Rotary (do_rotary) runs as onnxruntime's RotaryEmbedding on q and the new k at positions from the
 * past's valid length, as GroupQueryAttention derives them. The new positions' rotated keys and values
 * are the node's new-rows outputs, for the caller to write into its buffers. Lengths come from
 * total_sequence_length alone, not seqlens_k: every sequence of a batch has the same length, as the engine's
 * single sequence does.
 *
 * Attribute combinations it does not reproduce (a sliding window, softcap, smooth softmax, packed QKV,
 * extra inputs) leave the graph to GroupQueryAttention: `unsupportedReason` says which.
 */
import { type ReadNode, readNode, strings } from '../runtime/onnx-read';
import type { WireAttribute, WireNode } from '../runtime/onnx-wire';

const MS_DOMAIN = 'com.microsoft';
const INT64 = 7;
const FLOAT = 1;

/** A GroupQueryAttention node as read from a graph. */
export type AttentionNode = ReadNode;

/** The node of a NodeProto when it is a GroupQueryAttention, else undefined. */
export function attentionNode(body: Uint8Array): AttentionNode | undefined {
  if (strings(body, 4)[0] !== 'GroupQueryAttention') return undefined;
  return readNode(body);
}

function intAttribute(node: AttentionNode, name: string, absent: number): number | undefined {
  const value = node.attributes.get(name);
  if (value === undefined) return absent;
  return typeof value === 'number' ? value : undefined;
}

function floatAttribute(node: AttentionNode, name: string): number | undefined {
  const value = node.attributes.get(name);
  if (value === undefined) return 0;
  return typeof value === 'object' && 'float' in value ? value.float : undefined;
}

/** Why the node must stay GroupQueryAttention, or undefined when the two-part attention computes it. */
export function unsupportedReason(node: AttentionNode): string | undefined {
  const where = `GroupQueryAttention ${node.name}`;
  const heads = intAttribute(node, 'num_heads', 0);
  const kvHeads = intAttribute(node, 'kv_num_heads', 0);
  if (!heads || !kvHeads || heads % kvHeads !== 0)
    return `${where}: num_heads not a multiple of kv_num_heads`;
  const known = new Set([
    'num_heads',
    'kv_num_heads',
    'scale',
    'do_rotary',
    'rotary_interleaved',
    'local_window_size',
    'softcap',
    'smooth_softmax',
    'qk_output',
  ]);
  for (const name of node.attributes.keys()) if (!known.has(name)) return `${where}: attribute ${name}`;
  if (intAttribute(node, 'local_window_size', -1) !== -1)
    return `${where}: local_window_size (sliding window)`;
  if (floatAttribute(node, 'softcap') !== 0) return `${where}: softcap`;
  if (intAttribute(node, 'smooth_softmax', 0) !== 0) return `${where}: smooth_softmax`;
  if (intAttribute(node, 'qk_output', 0) !== 0) return `${where}: qk_output`;
  if (floatAttribute(node, 'scale') === undefined) return `${where}: scale is not a float`;
  const rotary = intAttribute(node, 'do_rotary', 0);
  const interleaved = intAttribute(node, 'rotary_interleaved', 0);
  if (rotary === undefined || interleaved === undefined) return `${where}: rotary attributes`;
  const [q, k, v, pastKey, pastValue, seqlens, total, cos, sin, ...rest] = node.inputs;
  if (!q || !k || !v) return `${where}: packed QKV`;
  if (!pastKey || !pastValue || !seqlens || !total) return `${where}: no past or lengths`;
  if (rotary && (!cos || !sin)) return `${where}: do_rotary without cos and sin caches`;
  if (rest.some((name) => name !== ''))
    return `${where}: inputs past sin_cache (position_ids, bias, head sink)`;
  return undefined;
}

/** Names of values the two-part nodes of every layer share: masks and lengths, computed once a run. */
interface Shared {
  /** The past's valid length (int64 [1]). */
  readonly start: string;
  /** [pastLength] 0 or −∞: keys at and past `start` are masked. */
  readonly pastMask: string;
  /** [pastLength, S] (int64 [2]), the sizes the softmax output is split by. */
  readonly split: string;
  /** int64 [1]: the head size D. */
  readonly headDim: string;
  /** float [1]: 1/√D. */
  readonly defaultScale: string;
  /** Causal masks of the new positions by query group size: [groups × S, S], 0 or −∞. */
  readonly causal: Map<number, string>;
  /** Reshape targets ending in D, by their leading dims. */
  readonly shapes: Map<string, string>;
  /** S, the run's new positions (int64 [1]), and constants the masks are made of. */
  readonly newLength: string;
  readonly zero: string;
  readonly one: string;
  readonly axis0: string;
  readonly minusInfinity: string;
  readonly zeroFloat: string;
}

/** Builds nodes with names under one prefix. */
class Nodes {
  readonly list: WireNode[] = [];
  private count = 0;
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, WireAttribute>> = {},
    options: { readonly domain?: string; readonly output?: string } = {},
  ): string {
    const name = `${this.prefix}/${opType.toLowerCase()}_${this.count++}`;
    const output = options.output ?? name;
    this.list.push({
      opType,
      inputs,
      outputs: [output],
      attributes,
      name,
      ...(options.domain ? { domain: options.domain } : {}),
    });
    return output;
  }

  ints(values: readonly number[]): string {
    return this.op('Constant', [], { value_ints: values });
  }

  int(value: number): string {
    return this.op('Constant', [], { value_int: value });
  }

  float(value: number): string {
    return this.op('Constant', [], { value_float: { float: value } });
  }
}

/** The whole rewrite of a graph's attention nodes: the nodes that replace them and the values they share. */
export class TwoPartAttention {
  private readonly nodes = new Nodes('glimpse.attention');
  private shared: Shared | undefined;

  /** Nodes added so far, in an order that respects their dependencies. */
  get list(): readonly WireNode[] {
    return this.nodes.list;
  }

  /**
   * Replaces `node` (which `unsupportedReason` accepted): its first output is computed by the two-part
   * attention, and the run's rotated keys and values [B, kvHeads, S, D] come out as `newKey`, `newValue`.
   */
  replace(node: AttentionNode, newKey: string, newValue: string): void {
    const [q = '', k = '', v = '', pastKey = '', pastValue = '', , total = '', cos = '', sin = ''] =
      node.inputs;
    const heads = intAttribute(node, 'num_heads', 0) ?? 0;
    const kvHeads = intAttribute(node, 'kv_num_heads', 0) ?? 0;
    const groups = heads / kvHeads;
    const scale = floatAttribute(node, 'scale') ?? 0;
    const rotary = intAttribute(node, 'do_rotary', 0) === 1;
    const interleaved = intAttribute(node, 'rotary_interleaved', 0) ?? 0;
    const n = this.nodes;
    const shared = this.sharedValues(q, pastKey, total);

    const rotate = (x: string, count: number) =>
      rotary
        ? n.op(
            'RotaryEmbedding',
            [x, shared.start, cos, sin],
            { interleaved, num_heads: count },
            { domain: MS_DOMAIN },
          )
        : x;
    const scaled = n.op('Mul', [rotate(q, heads), scale === 0 ? shared.defaultScale : n.float(scale)]);
    // [B, S, H·D] → [B, kvH, groups·S, D]: the query heads of one KV head as rows of one matrix.
    const grouped = n.op('Transpose', [n.op('Reshape', [scaled, n.ints([0, 0, kvHeads, groups, -1])])], {
      perm: [0, 2, 3, 1, 4],
    });
    const queries = n.op('Reshape', [grouped, this.shape(shared, [0, 0, -1])]);
    const heads4 = (x: string, output: string) =>
      n.op(
        'Transpose',
        [n.op('Reshape', [x, n.ints([0, 0, kvHeads, -1])])],
        { perm: [0, 2, 1, 3] },
        { output },
      );
    const keys = heads4(rotate(k, kvHeads), newKey);
    const values = heads4(v, newValue);
    const transposed = (x: string) => n.op('Transpose', [x], { perm: [0, 1, 3, 2] });

    const pastScores = n.op('Add', [n.op('MatMul', [queries, transposed(pastKey)]), shared.pastMask]);
    const newScores = n.op('Add', [n.op('MatMul', [queries, transposed(keys)]), this.causal(shared, groups)]);
    const probs = n.op('Softmax', [n.op('Concat', [pastScores, newScores], { axis: -1 })], { axis: -1 });
    const pastProbs = `${node.name}/two_part/past_probs`;
    const newProbs = `${node.name}/two_part/new_probs`;
    this.nodes.list.push({
      opType: 'Split',
      inputs: [probs, shared.split],
      outputs: [pastProbs, newProbs],
      attributes: { axis: -1 },
      name: `${node.name}/two_part/split`,
    });
    const attended = n.op('Add', [
      n.op('MatMul', [pastProbs, pastValue]),
      n.op('MatMul', [newProbs, values]),
    ]);
    // [B, kvH, groups·S, D] → [B, S, H·D], query head h = kvHead · groups + group, as GroupQueryAttention.
    const split = n.op('Reshape', [attended, this.shape(shared, [0, 0, groups, -1])]);
    n.op(
      'Reshape',
      [n.op('Transpose', [split], { perm: [0, 3, 1, 2, 4] }), n.ints([0, 0, -1])],
      {},
      {
        output: node.outputs[0] ?? '',
      },
    );
  }

  private sharedValues(q: string, pastKey: string, total: string): Shared {
    if (this.shared) return this.shared;
    const n = this.nodes;
    const zero = n.int(0);
    const one = n.int(1);
    const axis0 = n.ints([0]);
    const newLength = n.op('Shape', [q], { start: 1, end: 2 });
    const totalLength = n.op('Unsqueeze', [n.op('Cast', [total], { to: INT64 }), axis0]);
    const start = n.op('Sub', [totalLength, newLength]);
    const pastLength = n.op('Shape', [pastKey], { start: 2, end: 3 });
    const keyIndex = n.op('Range', [zero, n.op('Squeeze', [pastLength, axis0]), one]);
    const minusInfinity = n.float(Number.NEGATIVE_INFINITY);
    const zeroFloat = n.float(0);
    const pastMask = n.op('Where', [n.op('Less', [keyIndex, start]), zeroFloat, minusInfinity]);
    const headDim = n.op('Shape', [pastKey], { start: 3, end: 4 });
    const defaultScale = n.op('Reciprocal', [n.op('Sqrt', [n.op('Cast', [headDim], { to: FLOAT })])]);
    this.shared = {
      start,
      pastMask,
      split: n.op('Concat', [pastLength, newLength], { axis: 0 }),
      headDim,
      defaultScale,
      causal: new Map(),
      shapes: new Map(),
      newLength,
      zero,
      one,
      axis0,
      minusInfinity,
      zeroFloat,
    };
    return this.shared;
  }

  /** A Reshape target: `leading` then the head size. */
  private shape(shared: Shared, leading: readonly number[]): string {
    const key = leading.join(',');
    const known = shared.shapes.get(key);
    if (known) return known;
    const shape = this.nodes.op('Concat', [this.nodes.ints(leading), shared.headDim], { axis: 0 });
    shared.shapes.set(key, shape);
    return shape;
  }

  /** [groups·S, S]: row r is new position r mod S, which sees new positions up to its own. */
  private causal(shared: Shared, groups: number): string {
    const known = shared.causal.get(groups);
    if (known) return known;
    const n = this.nodes;
    const { zero, one, axis0, minusInfinity, zeroFloat, newLength } = shared;
    const count = n.op('Squeeze', [newLength, axis0]);
    const rows = n.op('Range', [zero, n.op('Mul', [count, n.int(groups)]), one]);
    const position = n.op('Unsqueeze', [n.op('Mod', [rows, count]), n.ints([1])]);
    const later = n.op('Greater', [n.op('Range', [zero, count, one]), position]);
    const mask = n.op('Where', [later, minusInfinity, zeroFloat]);
    shared.causal.set(groups, mask);
    return mask;
  }
}
