/**
 * What onnxruntime's graph optimisations do to a model, per execution provider: the graph's node count by op
 * type as written and as the session runs it (`optimizedModelFilePath` at level 'all', onnxruntime-node).
 * It shows which fusions fire on a package's decoder, and so how many kernels a step dispatches (issue 14).
 * `npx tsx tools/profile/graph-fusions.ts FILE.onnx [--ep cpu,webgpu] [--packed-qkv]`
 * (--packed-qkv: the graph with q, k and v packed first, as the engine loads it on WebGPU, packed-qkv-graph.ts.)
 * (WebGPU here is onnxruntime-node's provider over Dawn: on this machine, with
 * `LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { withPackedQkv } from '../../src/engine/decoder/packed-qkv-graph';
import { opCounts } from './op-counts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ep: { type: 'string', default: 'cpu,webgpu' },
    'packed-qkv': { type: 'boolean', default: false },
  },
});
const [file] = positionals;
if (file === undefined) throw new Error('usage: graph-fusions.ts FILE.onnx [--ep cpu,webgpu] [--packed-qkv]');

const read = await readFile(file);
const model = values['packed-qkv'] ? withPackedQkv(read).model : read;
const written = opCounts(model);
const columns: [string, Map<string, number>][] = [['written', written]];
const dir = await mkdtemp(join(tmpdir(), 'glimpse-fusions-'));
try {
  for (const ep of (values.ep ?? '').split(',').filter(Boolean)) {
    const optimized = join(dir, `${ep}.onnx`);
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: optimized,
        logSeverityLevel: 3,
      });
      await session.release();
      columns.push([ep, opCounts(await readFile(optimized))]);
    } catch (err) {
      console.log(`${ep}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const ops = [...new Set(columns.flatMap(([, counts]) => [...counts.keys()]))].sort();
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
console.log(row(['op', ...columns.map(([name]) => name)]));
console.log(row(['---', ...columns.map(() => '---')]));
for (const op of ops) console.log(row([op, ...columns.map(([, counts]) => counts.get(op) ?? 0)]));
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
console.log(row(['**nodes**', ...columns.map(([, counts]) => total(counts))]));
