/**
 * A package's graph read for a rewrite at load time (cpu-static-graph.ts, row-cache-graph.ts) and written
 * back, without copying the weights more than once.
 */
import { type Field, fields, strings } from './onnx-read';
import { varint } from './onnx-wire';

// ModelProto: graph = 7, opset_import = 8 (OperatorSetIdProto: domain 1, version 2).
const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;

/** GraphProto's fields a rewrite reads and writes. */
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;

/** One field of a model's graph, with the bytes that encode it whole (key and length included). */
export interface GraphField extends Field {
  readonly bytes: Uint8Array;
}

/**
 * A model's graph, field by field, read without copying the model: the weights inside it are most of its
 * size, and a rewrite at load time (cpu-static-graph.ts, row-cache-graph.ts) keeps them as they are.
 * Protobuf merges the repeated occurrences of a message field, so a model streamed in fragments (the
 * converter's graph, then each large initializer as a graph of its own) has one graph whose fields are
 * those of every fragment, in order.
 */
export interface ModelGraph {
  readonly fields: readonly GraphField[];
  /** The version of the default ('') domain the model imports; 0 when it imports none. */
  readonly opset: number;
  /** The model with its graph made of `parts` (kept fields' bytes and new ones), in one copy. */
  rebuild(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array;
  /**
   * The graph made of `parts` without copying them, for a further rewrite to read: rewrites applied one
   * after another (packed-qkv-graph.ts, then logits-outputs-graph.ts) copy the model once, at `bytes()`.
   */
  edit(parts: readonly (Uint8Array | readonly number[])[]): ModelGraph;
  /** The model as this graph now has it. */
  bytes(): Uint8Array;
}

export function readModelGraph(model: Uint8Array): ModelGraph {
  const top = fields(model);
  const fragments = top.filter((f) => f.number === MODEL_GRAPH);
  if (fragments.length === 0) throw new Error('the model has no graph');
  const graphFields = fragments.flatMap((fragment) => {
    const body = fragment.body ?? new Uint8Array(0);
    return fields(body).map((f) => ({ ...f, bytes: body.subarray(f.start, f.end) }));
  });
  let opset = 0;
  for (const f of top) {
    if (f.number !== MODEL_OPSET || !f.body || (strings(f.body, 1)[0] ?? '') !== '') continue;
    opset = Number(fields(f.body).find((p) => p.number === 2)?.varint ?? 0n);
  }
  const graphOf = (list: readonly GraphField[]): ModelGraph => ({
    fields: list,
    opset,
    rebuild(parts) {
      const graphLength = parts.reduce((sum, part) => sum + part.length, 0);
      const header = [...varint((MODEL_GRAPH << 3) | 2), ...varint(graphLength)];
      const kept = top.filter((f) => f.number !== MODEL_GRAPH);
      const out = new Uint8Array(
        kept.reduce((sum, f) => sum + f.end - f.start, 0) + header.length + graphLength,
      );
      let at = 0;
      const put = (part: Uint8Array | readonly number[]) => {
        out.set(part, at);
        at += part.length;
      };
      // The graph where its first fragment was; the fields around it as they were.
      for (const f of top) {
        if (f.number !== MODEL_GRAPH) put(model.subarray(f.start, f.end));
        else if (f === fragments[0]) {
          put(header);
          for (const part of parts) put(part);
        }
      }
      return out;
    },
    edit(parts) {
      return graphOf(
        parts.flatMap((part) => {
          const bytes = part instanceof Uint8Array ? part : Uint8Array.from(part);
          return fields(bytes).map((f) => ({ ...f, bytes: bytes.subarray(f.start, f.end) }));
        }),
      );
    },
    bytes() {
      return this.rebuild(list.map((f) => f.bytes));
    },
  });
  return graphOf(graphFields);
}
