/**
 * A merged decoder (any package's, the Hub's exports included) rewired at load time for the CPU backends,
 * so that the KV cache stays in the caller's memory and a run hands back only the positions it added.
 *
 * onnxruntime returns every output as a new array: a merged decoder's `present.*`, the whole cache again
 * on every run, cost a page 5–10× the step's kernels in Chromium (fresh memory, page faults; bench/README.md),
 * and onnxruntime-web 1.30 does not copy into arrays the caller allocates. The rewired graph
 * - takes each past as `past_rows.N.*`, position-major [batch, past, kv_heads, head_dim], and transposes it
 *   to the layout the graph reads: a cache that grows by whole rows at its end can then be fed as a prefix
 *   of one buffer, with no copy on the caller's side;
 * - hands back, in place of each `present.N.*`, the rows of it after the past (`new_rows.N.*`, also
 *   position-major), sliced with the box `glimpse.kv_starts`/`glimpse.kv_ends`.
 * Everything else, the attention included, is the graph as it was: it relies only on the decoder's I/O
 * contract (a present is its past followed by the new positions), not on what computes it.
 */
import {
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  readModelGraph,
} from '../runtime/onnx-graph';
import { type ReadValue, readValue, strings } from '../runtime/onnx-read';
import { bytesField, field, nodeProto, valueInfo, type WireNode, type WireValue } from '../runtime/onnx-wire';
import type { ValueInfo } from '../runtime/session';
import type { FloatType } from '../runtime/tensors';
import { KV_ENDS, KV_STARTS } from './cpu-static-graph';

const GROUP_QUERY_ATTENTION = 'com.microsoft/GroupQueryAttention';
const STANDARD_DOMAINS = new Set(['', 'ai.onnx']);
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;

/** The input holding a layer's past keys or values, position-major. */
export function pastRowsName(layer: number, kind: 'key' | 'value'): string {
  return `past_rows.${layer}.${kind}`;
}

/** The output holding the keys or values a run added to a layer's cache, position-major. */
export function addedRowsName(layer: number, kind: 'key' | 'value'): string {
  return `new_rows.${layer}.${kind}`;
}

const ELEM_TYPES: Readonly<Record<number, FloatType>> = { 1: 'float32', 10: 'float16' };

// [batch, kv_heads, positions, head_dim] ↔ [batch, positions, kv_heads, head_dim]: the permutation is its own inverse.
const SWAP_HEADS_AND_POSITIONS = [0, 2, 1, 3];

function cacheValue(value: ReadValue): { type: FloatType; dims: readonly (number | string)[] } {
  const type = ELEM_TYPES[value.elemType];
  if (!type || value.dims.length !== 4)
    throw new Error(`${value.name} is not a 4-D float32 or float16 tensor`);
  return { type, dims: value.dims };
}

/**
 * How the rewired graph takes its past:
 * - 'rows': position-major and exactly as long as the past (`past_rows.N.*`), transposed inside the graph;
 * - 'capacity': as the graph always did (`past_key_values.N.*`, [batch, kv_heads, positions, head_dim]), but
 *   as long as the buffer that holds it, for graphs whose GroupQueryAttention reads the past's length from
 *   the mask's sum (seqlens_k) and its rows from the buffer's stride. There the past must stay a graph
 *   input: inside the graph, onnxruntime would let GroupQueryAttention write its present over it.
 * The new rows come back in the same layout as the past.
 */
export type RowCacheLayout = 'rows' | 'capacity';

export interface RowCacheGraph {
  readonly bytes: Uint8Array;
  readonly layout: RowCacheLayout;
}

/** The rewired model; throws, saying why, when the graph does not have a merged decoder's past and present. */
export function rowCacheGraph(model: Uint8Array): RowCacheGraph {
  const graph = readModelGraph(model);
  // Slice takes its box as inputs from opset 10.
  if (graph.opset < 10) throw new Error(`the graph is of opset ${graph.opset}, before 10`);
  const pasts = new Map<string, ReadValue>();
  const presents = new Map<string, ReadValue>();
  // The operators that read a past, as domain/op_type (NodeProto: domain = 7).
  const readers = new Set<string>();
  for (const f of graph.fields) {
    if (f.number === GRAPH_NODE && f.body) {
      const op = `${strings(f.body, 7)[0] ?? ''}/${strings(f.body, 4)[0] ?? ''}`;
      if (strings(f.body, 1).some((input) => PAST.test(input))) readers.add(op);
      continue;
    }
    if (!f.body) continue;
    const value = f.number === GRAPH_INPUT || f.number === GRAPH_OUTPUT ? readValue(f.body) : undefined;
    const past = f.number === GRAPH_INPUT && value ? PAST.exec(value.name) : null;
    const present = f.number === GRAPH_OUTPUT && value ? PRESENT.exec(value.name) : null;
    if (past && value) pasts.set(`${past[1]}.${past[2]}`, value);
    if (present && value) presents.set(`${present[1]}.${present[2]}`, value);
  }
  if (pasts.size === 0) throw new Error('the graph has no past_key_values inputs');
  if (presents.size !== pasts.size) throw new Error('its present outputs do not match its past inputs');
  const layout: RowCacheLayout = readers.has(GROUP_QUERY_ATTENTION) ? 'capacity' : 'rows';
  // Fed its whole buffer, the past must be read by GroupQueryAttention alone (a Shape would see the
  // buffer's length). Transposed inside the graph, it may be read by any standard operator (the exports
  // take the past length from its Shape), but not by another contributed kernel, which onnxruntime might
  // let write over it.
  const foreign = [...readers].filter((op) =>
    layout === 'capacity' ? op !== GROUP_QUERY_ATTENTION : !STANDARD_DOMAINS.has(op.split('/')[0] ?? ''),
  );
  if (foreign.length > 0) throw new Error(`its past is read by ${foreign.join(', ')}`);

  const nodes: WireNode[] = [];
  const inputs: WireValue[] = [
    { name: KV_STARTS, type: 'int64', dims: [4] },
    { name: KV_ENDS, type: 'int64', dims: [4] },
  ];
  const outputs: WireValue[] = [];
  for (const [key, past] of pasts) {
    const present = presents.get(key);
    if (!present) throw new Error(`${past.name} has no present.${key} output`);
    const [layerText = '', kind = 'key'] = key.split('.') as [string, 'key' | 'value'];
    const layer = Number(layerText);
    const { type, dims } = cacheValue(past);
    const [batch = '', heads = '', , headDim = ''] = dims.map((dim, i) =>
      dim === '' ? (['batch_size', 'kv_heads', '', 'head_dim'][i] ?? '') : dim,
    );
    const added = layout === 'rows' ? `${present.name}/added` : addedRowsName(layer, kind);
    nodes.push({
      opType: 'Slice',
      inputs: [present.name, KV_STARTS, KV_ENDS],
      outputs: [added],
      name: `${present.name}/added`,
    });
    if (layout === 'rows') {
      inputs.push({
        name: pastRowsName(layer, kind),
        type,
        dims: [batch, 'past_sequence_length', heads, headDim],
      });
      nodes.push(
        {
          opType: 'Transpose',
          inputs: [pastRowsName(layer, kind)],
          outputs: [past.name],
          attributes: { perm: SWAP_HEADS_AND_POSITIONS },
          name: `${past.name}/from_rows`,
        },
        {
          opType: 'Transpose',
          inputs: [added],
          outputs: [addedRowsName(layer, kind)],
          attributes: { perm: SWAP_HEADS_AND_POSITIONS },
          name: `${present.name}/to_rows`,
        },
      );
    }
    outputs.push({
      name: addedRowsName(layer, kind),
      type: cacheValue(present).type,
      dims:
        layout === 'rows'
          ? [batch, 'new_positions', heads, headDim]
          : [batch, heads, 'new_positions', headDim],
    });
  }
  const kept: Uint8Array[] = [];
  for (const f of graph.fields) {
    if ((f.number === GRAPH_INPUT || f.number === GRAPH_OUTPUT) && f.body) {
      const [name = ''] = strings(f.body, 1);
      if (f.number === GRAPH_INPUT && PAST.test(name) && layout === 'rows') continue;
      if (f.number === GRAPH_OUTPUT && PRESENT.test(name)) {
        // Still declared, as a value inside the graph, so that its shape stays what the graph said.
        kept.push(bytesField(GRAPH_VALUE_INFO, f.body));
        continue;
      }
    }
    kept.push(f.bytes);
  }
  const bytes = graph.rebuild([
    ...kept,
    ...nodes.map((node, i) => field(GRAPH_NODE, nodeProto(node, i))),
    ...inputs.map((input) => field(GRAPH_INPUT, valueInfo(input))),
    ...outputs.map((output) => field(GRAPH_OUTPUT, valueInfo(output))),
  ]);
  return { bytes, layout };
}

/**
 * The rewired session's inputs and outputs under the merged decoder's names and layout, so that the
 * loader checks them as it checks any merged decoder (validate.ts).
 */
export function asMergedValues(values: readonly ValueInfo[], layout: RowCacheLayout): ValueInfo[] {
  return values.flatMap((value): ValueInfo[] => {
    if (value.name === KV_STARTS || value.name === KV_ENDS) return [];
    const rows = /^(past_rows|new_rows)\.(\d+)\.(key|value)$/.exec(value.name);
    if (!rows) return [value];
    const name = `${rows[1] === 'past_rows' ? 'past_key_values' : 'present'}.${rows[2]}.${rows[3]}`;
    const shape =
      layout === 'rows' && value.shape
        ? SWAP_HEADS_AND_POSITIONS.map((axis) => value.shape?.[axis] ?? '')
        : value.shape;
    return [{ ...value, name, ...(shape ? { shape } : {}) }];
  });
}
