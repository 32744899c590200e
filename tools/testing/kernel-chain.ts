/**
 * Test harness, not product code: a graph whose kernel count is known without onnxruntime (a chain of
 * --length Sigmoid nodes, one elementwise kernel each, optimisation off so none is fused), run --runs
 * times on onnxruntime-web's WebGPU provider in Node over Dawn under the KernelCounter. Prints one JSON
 * line: what one run counted, per run.
 *
 *   npx tsx tools/testing/kernel-chain.ts [--length 7] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { KernelCounter, type KernelWindow } from '../../src/cli/dawn-kernels';
import { dawnDevice, loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { wireModel } from '../../src/engine/runtime/onnx-wire';

const { values } = parseArgs({
  options: { length: { type: 'string', default: '7' }, runs: { type: 'string', default: '3' } },
});
const length = Number(values.length);
const name = (i: number) => (i === 0 ? 'x' : i === length ? 'y' : `s${i}`);
const model = wireModel(
  'chain',
  Array.from({ length }, (_, i) => ({ opType: 'Sigmoid', inputs: [name(i)], outputs: [name(i + 1)] })),
  [{ name: 'x', type: 'float32', dims: [1024] }],
  [{ name: 'y', type: 'float32', dims: [1024] }],
);

const runtime = await loadDawnRuntime();
if (typeof runtime === 'string') throw new Error(runtime);
const { ort } = runtime;
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['webgpu'],
  graphOptimizationLevel: 'disabled',
});
const counter = KernelCounter.install(() => dawnDevice(ort));
const input = new ort.Tensor('float32', new Float32Array(1024).fill(0.5), [1024]);
const windows: KernelWindow[] = [];
for (let run = 0; run < Number(values.runs); run++) {
  counter.start();
  const out = await session.run({ x: input });
  await out.y?.getData();
  windows.push(await counter.stop());
}
console.log(JSON.stringify({ adapter: runtime.adapter, length, windows }));
await session.release();
