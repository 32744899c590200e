/**
 * The WebGPU prefill fault, reduced to one GroupQueryAttention node (attention-check.ts's model) on
 * onnxruntime-web's WebGPU provider in Node over Dawn, against the same attention in plain float64
 * arithmetic: the largest difference at each number of new positions, with the adapter as it is and with its
 * subgroup features hidden (narrow-subgroups.ts). Prints one JSON line: the adapter's subgroup widths and the errors.
 * Each mode runs in a process of its own: onnxruntime keeps the first device it makes.
 *
 *   npx tsx tools/testing/subgroup-attention.ts [--subgroups keep|hide] [--lengths 8,31,32,64,128]
 *     [--shape HEADS,KV_HEADS,HEAD_DIM]
 *
 * Run it where Dawn finds an adapter (Chromium's SwiftShader here:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium).
 */
import { parseArgs } from 'node:util';
import { dawnAdapter, loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { attentionError } from '../../src/engine/runtime/attention-check';

const { values } = parseArgs({
  options: {
    subgroups: { type: 'string', default: 'hide' },
    lengths: { type: 'string', default: '8,31,32,64,128' },
    shape: { type: 'string', default: '14,2,64' },
  },
});
const keep = values.subgroups === 'keep';
const [heads = 14, kvHeads = 2, headDim = 64] = (values.shape ?? '').split(',').map(Number);
const lengths = (values.lengths ?? '').split(',').map(Number);
const adapter = await dawnAdapter(keep ? 'keep' : 'hide-narrow');
const runtime = await loadDawnRuntime();
if (typeof adapter === 'string' || typeof runtime === 'string')
  throw new Error(typeof adapter === 'string' ? adapter : String(runtime));
const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
const errors = await attentionError(
  runtime.ort,
  'webgpu',
  { heads, kvHeads, headDim, type: 'float32' },
  lengths,
);
console.log(
  JSON.stringify({
    adapter: runtime.adapter,
    subgroupWidths: [info.subgroupMinSize ?? null, info.subgroupMaxSize ?? null],
    subgroups: keep ? 'keep' : 'hide',
    shape: { heads, kvHeads, headDim },
    errors: Object.fromEntries(lengths.map((length, i) => [length, errors[i]])),
  }),
);
