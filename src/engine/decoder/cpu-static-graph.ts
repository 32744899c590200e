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
 * With `attention: 'two-part'` each GroupQueryAttention is then replaced by the two-part attention
 * (two-part-attention.ts), which reads the past buffers in place instead of clearing and filling a present as long as them on
 * every run, and itself outputs the new rows (no present, no Slice).
 *
 * The last-position Slice before lm_head (the node `logits/last`) takes its start from an input, so a
 * run with draft tokens gets the logits, and `next_token` the argmax, of each of its last positions.
 */
import {
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  type GraphField,
  readModelGraph,
} from '../runtime/onnx-graph';
import { strings } from '../runtime/onnx-read';
import { field, nodeProto, valueInfo, type WireValue } from '../runtime/onnx-wire';
import type { CpuAttentionKind } from '../types';
import { isLastRowSlice, lastRowSliceFrom } from './static-rows-graph';
import { type AttentionNode, attentionNode, TwoPartAttention, unsupportedReason } from './two-part-attention';

/** Inputs the rewired graph adds: the first logits row (negative, from the end) and the new KV rows' box. */
export const LOGITS_START = 'glimpse.logits_start';
export const KV_STARTS = 'glimpse.kv_starts';
export const KV_ENDS = 'glimpse.kv_ends';

/** The output holding the keys or values a run added to a layer's cache: `present.N.*` renamed. */
export function newRowsName(layer: number, kind: 'key' | 'value'): string {
  return `new.${layer}.${kind}`;
}

// NodeProto: input = 1, output = 2, name = 3, op_type = 4.
const NODE = GRAPH_NODE;
const INPUT = GRAPH_INPUT;
const OUTPUT = GRAPH_OUTPUT;

const PRESENT = /^present\.\d+\.(key|value)$/;

export interface CpuStaticGraph {
  readonly bytes: Uint8Array;
  /** The attention the graph runs. */
  readonly attention: CpuAttentionKind;
  /** Why the graph kept GroupQueryAttention when two-part attention was asked for. */
  readonly fallback?: string;
}

/** The present outputs' new names by GroupQueryAttention node, or why they cannot be replaced. */
function attentionRewrites(
  nodes: readonly AttentionNode[],
  presentOf: ReadonlyMap<string, string>,
  readers: ReadonlySet<string>,
): Map<AttentionNode, [string, string]> | string {
  if (nodes.length === 0) return 'the graph has no GroupQueryAttention';
  const rewrites = new Map<AttentionNode, [string, string]>();
  for (const node of nodes) {
    const reason = unsupportedReason(node);
    if (reason) return reason;
    const [, key = '', value = ''] = node.outputs;
    const presentKey = presentOf.get(key);
    const presentValue = presentOf.get(value);
    // Another node reading a present (or a present that is not a graph output) would lose its input.
    if (!presentKey || !presentValue || readers.has(key) || readers.has(value))
      return `GroupQueryAttention ${node.name}: its present outputs are not only the graph's present.*`;
    rewrites.set(node, [presentKey.replace('present.', 'new.'), presentValue.replace('present.', 'new.')]);
  }
  return rewrites;
}

/**
 * The rewired model; throws when the graph is not a static decoder of the toolkit's layout (no
 * `logits/last` Slice, no logits, next_token or present outputs). With two-part attention asked for,
 * each GroupQueryAttention is replaced unless one of them has attributes it does not cover:
 * then all stay, and `fallback` says why.
 */
export function cpuStaticGraph(
  model: Uint8Array,
  options: { readonly attention: CpuAttentionKind },
): CpuStaticGraph {
  const graph = readModelGraph(model);
  const graphFields = graph.fields;
  const presents = new Set<string>();
  const readers = new Set<string>();
  const attentions = new Map<GraphField, AttentionNode>();
  // The graph's present.* by the value each holds: itself, or the input of the Identity that names it.
  const presentOf = new Map<string, string>();
  const presentIdentities = new Set<GraphField>();
  for (const f of graphFields) {
    if (f.number === OUTPUT && f.body) {
      const [name = ''] = strings(f.body, 1);
      if (PRESENT.test(name)) {
        presents.add(name);
        presentOf.set(name, name);
      }
    }
  }
  for (const f of graphFields) {
    if (f.number !== NODE || !f.body) continue;
    const node = attentionNode(f.body);
    const [output = ''] = strings(f.body, 2);
    const [input = ''] = strings(f.body, 1);
    if (node) attentions.set(f, node);
    else if (strings(f.body, 4)[0] === 'Identity' && presents.has(output)) {
      presentOf.set(input, output);
      presentIdentities.add(f);
    } else for (const read of strings(f.body, 1)) readers.add(read);
  }
  const rewrites =
    options.attention === 'group-query'
      ? undefined
      : graph.opset < 13
        ? 'the graph is of opset < 13 (Split, Squeeze and Unsqueeze take their sizes and axes as inputs from 13)'
        : attentionRewrites([...attentions.values()], presentOf, readers);
  const twoPart = typeof rewrites === 'object' ? new TwoPartAttention() : undefined;
  let emitted = 0;
  const kept: (Uint8Array | number[])[] = [];
  const removed = new Set<string>();
  let lastRow: number[] | undefined;
  for (const f of graphFields) {
    const body = f.body;
    if (f.number === OUTPUT && body) {
      const [name = ''] = strings(body, 1);
      if (PRESENT.test(name) || name === 'logits' || name === 'next_token') {
        removed.add(name);
        continue;
      }
    }
    if (f.number === NODE && body && isLastRowSlice(body)) {
      lastRow = lastRowSliceFrom(body, LOGITS_START);
      continue;
    }
    // The two-part attention outputs the new rows itself: no present is left to name.
    if (twoPart && presentIdentities.has(f)) continue;
    const node = attentions.get(f);
    const names = node && typeof rewrites === 'object' ? rewrites.get(node) : undefined;
    if (twoPart && node && names) {
      twoPart.replace(node, ...names);
      // The shared values come with the first replacement, so each batch follows what it reads.
      kept.push(...twoPart.list.slice(emitted).map((node, i) => field(NODE, nodeProto(node, emitted + i))));
      emitted = twoPart.list.length;
      continue;
    }
    kept.push(f.bytes);
  }
  if (!lastRow || presents.size === 0 || !removed.has('logits') || !removed.has('next_token'))
    throw new Error('the graph is not a static decoder of the layout this engine rewires');
  const added = [...presents].map((present) => present.replace('present.', 'new.'));
  // GroupQueryAttention's new rows are sliced out of its present; the two-part attention outputs them.
  const nodes = twoPart
    ? []
    : [...presents].map((present, i) =>
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
    ...(twoPart
      ? []
      : [
          { name: KV_STARTS, type: 'int64', dims: [4] } as const,
          { name: KV_ENDS, type: 'int64', dims: [4] } as const,
        ]),
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
  const bytes = graph.rebuild([
    ...kept,
    field(NODE, lastRow),
    ...nodes.map((node) => field(NODE, node)),
    ...inputs.map((input) => field(INPUT, valueInfo(input))),
    ...outputs.map((output) => field(OUTPUT, valueInfo(output))),
  ]);
  if (twoPart) return { bytes, attention: 'two-part' };
  return {
    bytes,
    attention: 'group-query',
    ...(typeof rewrites === 'string' ? { fallback: rewrites } : {}),
  };
}
