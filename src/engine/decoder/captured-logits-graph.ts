/**
 * decoder_model_static at load time for graph capture: its `logits` output computed by a kernel of its
 * own, so that a sampled step can replay the captured graph and read the row it samples from.
 *
 * lm_head's output is also read by next_token's ArgMax, so the graph names the output through a copy of
 * it. onnxruntime drops an Add of 0 (the toolkit's copy before) when it optimises the graph, and its
 * WebGPU provider runs an Identity as a buffer copy, not a kernel. A captured graph replays kernels only:
 * every replay left the caller's logits as the capturing run wrote them (stories260K: the same row after
 * 20 replays, while next_token moved on). The copy made here is a Max of the value with itself, which
 * onnxruntime keeps and runs as a kernel: one elementwise pass over the vocabulary a step.
 */
import { GRAPH_NODE, type ModelGraph } from '../runtime/onnx-graph';
import { fields, readNode } from '../runtime/onnx-read';
import { bytesField, concat, field, nodeProto } from '../runtime/onnx-wire';

/** What lm_head's output is called once the `logits` output is the copy's. */
const ROW = 'glimpse.logits_row';
const COPY = 'glimpse.logits_copy';

/** The graph with `logits` copied by a node of its own; as it is where it already is. */
export function withOwnLogitsNode(graph: ModelGraph): ModelGraph {
  let producer: number | undefined;
  const readers = new Set<number>();
  let hasRow = false;
  for (const [i, f] of graph.fields.entries()) {
    if (f.number !== GRAPH_NODE || !f.body) continue;
    const node = readNode(f.body);
    if (node.name === COPY) return graph;
    hasRow ||= node.outputs.includes(ROW) || node.inputs.includes(ROW);
    if (node.outputs.includes('logits')) producer = i;
    if (node.inputs.includes('logits')) readers.add(i);
  }
  if (producer === undefined) throw new Error('no node computes the logits output');
  if (hasRow) throw new Error(`the graph already has a value ${ROW}`);
  const copy = { opType: 'Max', inputs: [ROW, ROW], outputs: ['logits'], name: COPY };
  return graph.edit(
    graph.fields.flatMap((f, i) => {
      if (!f.body || (i !== producer && !readers.has(i))) return [f.bytes];
      const renamed = bytesField(GRAPH_NODE, renamedLogits(f.body));
      return i === producer ? [renamed, field(GRAPH_NODE, nodeProto(copy, 0))] : [renamed];
    }),
  );
}

/** A NodeProto with each input or output named `logits` named ROW instead, its other fields as they were. */
function renamedLogits(body: Uint8Array): Uint8Array {
  return concat(
    fields(body).map((f) =>
      (f.number === 1 || f.number === 2) && f.body && utf8.decode(f.body) === 'logits'
        ? field(f.number, ROW)
        : body.subarray(f.start, f.end),
    ),
  );
}

const utf8 = new TextDecoder();
