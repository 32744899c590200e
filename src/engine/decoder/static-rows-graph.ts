/**
 * decoder_model_static (toolkit/decoder/llama-graph.ts) with lm_head over the last `rows` positions of a
 * run instead of the last one, at load time on WebGPU, so that a captured step of one token and its draft
 * tokens gives `next_token` (and `logits`) for each of them. The node `logits/last` slices the final norm's
 * output from a constant start; that start becomes −rows. A run of fewer positions (a short prefill chunk)
 * gets a row for each of them.
 *
 * The start stays a constant rather than an input (cpu-static-graph.ts takes it as one): a captured graph
 * replays shapes fixed at its capture, and a Slice whose start came from a GPU buffer would need its value
 * on the CPU to know its output's shape.
 */
import { GRAPH_NODE, GRAPH_OUTPUT, type ModelGraph, readModelGraph } from '../runtime/onnx-graph';
import { readValue, strings } from '../runtime/onnx-read';
import { field, nodeProto, valueInfo, wireTypeOf } from '../runtime/onnx-wire';

const LAST_ROWS_START = 'glimpse.last_rows_start';
/** The node before lm_head that keeps a run's last position (llama-graph.ts). */
const LAST_ROW_SLICE = 'logits/last';

/** Whether a NodeProto is the static graph's last-position Slice. */
export function isLastRowSlice(node: Uint8Array): boolean {
  return strings(node, 3)[0] === LAST_ROW_SLICE;
}

/** That Slice (a NodeProto body) with its start taken from the value `start` instead of its constant. */
export function lastRowSliceFrom(node: Uint8Array, start: string): number[] {
  const [data = '', , end = '', axes = ''] = strings(node, 1);
  return nodeProto(
    { opType: 'Slice', inputs: [data, start, end, axes], outputs: strings(node, 2), name: LAST_ROW_SLICE },
    0,
  );
}

export function withLastRows(model: Uint8Array, rows: number): Uint8Array {
  return lastRows(readModelGraph(model), rows).bytes();
}

/** The graph with lm_head over a run's last `rows` positions, not yet copied out (onnx-graph.ts). */
export function lastRows(graph: ModelGraph, rows: number): ModelGraph {
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${rows} is not a number of rows`);
  const parts: (Uint8Array | number[])[] = [];
  let sliced = false;
  const declared = new Set<string>();
  for (const f of graph.fields) {
    const body = f.body;
    if (f.number === GRAPH_NODE && body && isLastRowSlice(body)) {
      parts.push(
        field(
          GRAPH_NODE,
          nodeProto(
            {
              opType: 'Constant',
              inputs: [],
              outputs: [LAST_ROWS_START],
              attributes: { value_ints: [-rows] },
            },
            0,
          ),
        ),
        field(GRAPH_NODE, lastRowSliceFrom(body, LAST_ROWS_START)),
      );
      sliced = true;
      continue;
    }
    if (f.number === GRAPH_OUTPUT && body) {
      const value = readValue(body);
      const type = wireTypeOf(value.elemType);
      if ((value.name === 'logits' || value.name === 'next_token') && type) {
        // Declared with a row each: onnxruntime would otherwise warn that the shapes differ on every run.
        const dims = value.dims.map((dim, i) => (i === 1 ? 'rows' : dim === '' ? `${value.name}_${i}` : dim));
        parts.push(field(GRAPH_OUTPUT, valueInfo({ name: value.name, type, dims })));
        declared.add(value.name);
        continue;
      }
    }
    parts.push(f.bytes);
  }
  if (!sliced || !declared.has('logits') || !declared.has('next_token'))
    throw new Error('the graph is not a static decoder with a logits/last Slice, logits and next_token');
  return graph.edit(parts);
}
