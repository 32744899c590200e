/** A model's nodes counted by op type, its graph read whole or from fragments (onnx-graph.ts). */
import { GRAPH_NODE, readModelGraph } from '../../src/engine/runtime/onnx-graph';
import { strings } from '../../src/engine/runtime/onnx-read';

export function opCounts(model: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of readModelGraph(model).fields) {
    if (f.number !== GRAPH_NODE || !f.body) continue;
    // NodeProto.op_type is field 4.
    const op = strings(f.body, 4)[0] ?? '?';
    counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  return counts;
}
