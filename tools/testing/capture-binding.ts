/**
 * Why the captured decode path keeps a second, uncaptured session of the static graph (static-decoder.ts),
 * reduced to one Add node on onnxruntime-web's WebGPU provider in Node over Dawn: a session created with
 * enableGraphCapture binds the tensors of its first run and never binds again. Each later run, whatever
 * tensors it is given and with or without the `gpu_graph_id: -1` run option (which is to keep a run out of
 * the capture), reads the first run's inputs and writes the first run's outputs; the tensors it was given are
 * left as they were. onnxruntime-web's wasm-core-impl.ts binds inputs and outputs only while a session's
 * `inputOutputBound` flag is false, and clears the flag after a run only for sessions without graph capture.
 * So one session cannot run both a captured step and a prefill of another length into other buffers, and
 * the static graph's weights are loaded twice.
 *
 * Prints one JSON line: for each later run, which outputs it wrote ("first" or "own", "none" if neither).
 *
 *   npx tsx tools/testing/capture-binding.ts
 *
 * Run it where Dawn finds an adapter (Chromium's SwiftShader here:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium).
 */
import { dawnDevice, loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import type { GpuDevice } from '../../src/engine/decoder/static-decoder';
import { wireModel } from '../../src/engine/runtime/onnx-wire';
import type { OrtTensor } from '../../src/engine/runtime/ort';

const runtime = await loadDawnRuntime();
if (typeof runtime === 'string') throw new Error(runtime);
const { ort } = runtime;
const vector = (name: string) => ({ name, type: 'float32' as const, dims: ['n'] });

// GPU tensors of onnxruntime's own making, from an Identity session (static-decoder.ts's BufferMaker does
// the same for the decoder's buffers).
const identity = await ort.InferenceSession.create(
  wireModel(
    'identity',
    [{ opType: 'Identity', inputs: ['a'], outputs: ['b'] }],
    [vector('a')],
    [vector('b')],
  ),
  { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer', logSeverityLevel: 3 },
);
async function gpuTensor(values: number[]): Promise<OrtTensor> {
  const made = (
    await identity.run({ a: new ort.Tensor('float32', Float32Array.from(values), [values.length]) })
  ).b;
  if (!made) throw new Error('the Identity session returned nothing');
  return made;
}
const device = dawnDevice(ort) as GpuDevice;
async function read(tensor: OrtTensor): Promise<number[]> {
  const staging = device.createBuffer({ size: 16, usage: 0x0001 | 0x0008 });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(tensor.gpuBuffer, 0, staging, 0, 16);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(0x0001);
  const values = Array.from(new Float32Array(staging.getMappedRange().slice(0)));
  staging.unmap();
  staging.destroy();
  return values;
}

const doubled = await ort.InferenceSession.create(
  wireModel('double', [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'] }], [vector('x')], [vector('y')]),
  {
    executionProviders: [{ name: 'webgpu', validationMode: 'disabled' }] as never,
    enableGraphCapture: true,
    preferredOutputLocation: 'gpu-buffer',
    logSeverityLevel: 3,
  },
);
const firstIn = await gpuTensor([1, 2, 3, 4]);
const firstOut = await gpuTensor([0, 0, 0, 0]);
await doubled.run({ x: firstIn }, { y: firstOut });

const runs: Record<string, string> = {};
for (const [name, options] of [
  ['replayed', {}],
  ['gpu_graph_id -1', { extra: { gpu_graph_id: '-1' } }],
] as const) {
  const ownIn = await gpuTensor([10, 20, 30, 40]);
  const ownOut = await gpuTensor([0, 0, 0, 0]);
  device.queue.writeBuffer(firstIn.gpuBuffer, 0, Float32Array.from([5, 6, 7, 8]));
  device.queue.writeBuffer(firstOut.gpuBuffer, 0, new Float32Array(4));
  await doubled.run({ x: ownIn }, { y: ownOut }, options);
  const [own, first] = [await read(ownOut), await read(firstOut)];
  runs[name] = own[0] === 20 ? 'own' : first[0] === 10 ? 'first' : 'none';
}
console.log(JSON.stringify({ adapter: runtime.adapter, laterRunsWrite: runs }));
