/**
 * What the WebGPU decoder rewrites at load cost: reading a decoder's graph, packing q, k and v
 * (packed-qkv-graph.ts), adding the argmax outputs and copying the model out once, against the same
 * without packing, three times in one process.
 * `npx tsx tools/profile/load-rewrites.ts DIR/onnx/decoder_model_merged_q4.onnx`
 */
import { readFile } from 'node:fs/promises';
import { addLogitsOutputs } from '../../src/engine/decoder/logits-outputs-graph';
import { packQkv } from '../../src/engine/decoder/packed-qkv-graph';
import { readModelGraph } from '../../src/engine/runtime/onnx-graph';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: load-rewrites.ts FILE.onnx');
const bytes = await readFile(file);
const ms = (since: number) => Math.round(performance.now() - since);
for (let run = 0; run < 3; run++) {
  let at = performance.now();
  const graph = readModelGraph(bytes);
  const readMs = ms(at);
  at = performance.now();
  const { graph: packed, packed: layers } = packQkv(graph);
  const packMs = ms(at);
  at = performance.now();
  addLogitsOutputs(packed).bytes();
  const outputsAndCopyMs = ms(at);
  at = performance.now();
  addLogitsOutputs(readModelGraph(bytes)).bytes();
  const unpackedMs = ms(at);
  console.log(
    JSON.stringify({ file, bytes: bytes.length, layers, readMs, packMs, outputsAndCopyMs, unpackedMs }),
  );
}
