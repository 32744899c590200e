/**
 * A merged decoder (any package's, the Hub's exports included) given outputs at load time on WebGPU that
 * spare a step reading its logits back from the GPU:
 * - `ARGMAX`, every position's argmax: a greedy run (its draft tokens included) reads 8 bytes a position
 *   where it read a row of logits (151,936 floats at Qwen2's vocabulary);
 * - `LAST_LOGITS`, the last position's row, in graphs without num_logits_to_keep, whose prefill would
 *   otherwise hand back every position's row to be sampled from (866 rows, 526 MB, for a photo question
 *   at LLaVA-Interleave's shapes).
 * It is what the static graph's `next_token` gives the captured path (llama-graph.ts), for packages that
 * have no static graph. Nothing else changes: the new nodes read the `logits` output, whatever computes it.
 *
 * ARGMAX stays int64, ArgMax's own type: onnxruntime's WebGPU provider places a Cast from int64 on the
 * CPU, which on a GPU-resident output cost a second read back per step (dawn-kernels.ts counted two).
 */
import {
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  type ModelGraph,
  readModelGraph,
} from '../runtime/onnx-graph';
import { type ReadValue, readValue } from '../runtime/onnx-read';
import { field, nodeProto, valueInfo, type WireNode, type WireValue } from '../runtime/onnx-wire';

/** [batch, positions], int64: each position's argmax of `logits`. */
export const ARGMAX = 'glimpse.argmax';
/** [batch, 1, vocab]: the last position's row of `logits`. */
export const LAST_LOGITS = 'glimpse.last_logits';

const FLOAT_TYPES: Readonly<Record<number, 'float32' | 'float16'>> = { 1: 'float32', 10: 'float16' };
// Constant's value_ints came with opset 12; ArgMax's negative axis with 11, Slice's inputs with 10.
const MIN_OPSET = 12;

/** The model with the outputs added; throws, saying why, when the graph has no usable logits. */
export function withLogitsOutputs(model: Uint8Array): Uint8Array {
  return addLogitsOutputs(readModelGraph(model)).bytes();
}

/** The graph with the outputs added, not yet copied out (onnx-graph.ts); throws as withLogitsOutputs. */
export function addLogitsOutputs(graph: ModelGraph): ModelGraph {
  if (graph.opset < MIN_OPSET) throw new Error(`the graph is of opset ${graph.opset}, before ${MIN_OPSET}`);
  let logits: ReadValue | undefined;
  let keepsLogits = false;
  for (const f of graph.fields) {
    if ((f.number !== GRAPH_OUTPUT && f.number !== GRAPH_INPUT) || !f.body) continue;
    const value = readValue(f.body);
    if (value.name === ARGMAX || value.name === LAST_LOGITS)
      throw new Error(`the graph already has a value ${value.name}`);
    if (f.number === GRAPH_OUTPUT && value.name === 'logits') logits = value;
    if (f.number === GRAPH_INPUT && value.name === 'num_logits_to_keep') keepsLogits = true;
  }
  if (!logits) throw new Error('the graph has no logits output');
  const type = FLOAT_TYPES[logits.elemType];
  if (!type || logits.dims.length !== 3)
    throw new Error('its logits are not a 3-D float32 or float16 tensor');
  const [batch = 'batch_size', positions = 'positions', vocab = 'vocab_size'] = logits.dims.map((dim) =>
    dim === '' ? undefined : dim,
  );
  const name = (suffix: string) => `glimpse.logits_outputs/${suffix}`;
  const nodes: WireNode[] = [
    {
      opType: 'ArgMax',
      inputs: ['logits'],
      outputs: [ARGMAX],
      attributes: { axis: -1, keepdims: 0 },
      name: name('argmax'),
    },
  ];
  const outputs: WireValue[] = [{ name: ARGMAX, type: 'int64', dims: [batch, positions] }];
  if (!keepsLogits) {
    const constant = (suffix: string, values: number[]): WireNode => ({
      opType: 'Constant',
      inputs: [],
      outputs: [name(suffix)],
      attributes: { value_ints: values },
      name: name(suffix),
    });
    nodes.push(constant('starts', [-1]), constant('ends', [Number.MAX_SAFE_INTEGER]), constant('axes', [1]), {
      opType: 'Slice',
      inputs: ['logits', name('starts'), name('ends'), name('axes')],
      outputs: [LAST_LOGITS],
      name: name('last'),
    });
    outputs.push({ name: LAST_LOGITS, type, dims: [batch, 1, vocab] });
  }
  return graph.edit([
    ...graph.fields.map((f) => f.bytes),
    ...nodes.map((node, i) => field(GRAPH_NODE, nodeProto(node, i))),
    ...outputs.map((output) => field(GRAPH_OUTPUT, valueInfo(output))),
  ]);
}
