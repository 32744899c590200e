/**
 * GPU memory a model holds on onnxruntime-web's WebGPU provider in Node over Dawn: the bytes of every GPU
 * buffer created and not yet freed, after the load and after a short completion, and how long the load took.
 * onnxruntime frees a buffer by dropping it as often as by destroy(), so a buffer counts as freed once
 * destroyed or collected; the script runs the garbage collector before each reading.
 *
 *   node --expose-gc --import tsx tools/profile/gpu-memory.ts PACKAGE [--no-graph-capture] [--dtype q4
 *     --dtype embed_tokens=fp16 ...]  (as glimpse's --dtype: every part, or PART=DTYPE)
 *
 * With the SwiftShader variables on this machine (LD_LIBRARY_PATH=/usr/lib/chromium
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { dtypeOption } from '../../src/cli/args';
import { loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { loadModel } from '../../src/engine/index';
import { folderReader } from '../../src/engine/node/folder-reader';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'no-graph-capture': { type: 'boolean', default: false },
    dtype: { type: 'string', multiple: true },
  },
});
const [dir] = positionals;
if (!dir) throw new Error('usage: gpu-memory.ts PACKAGE [--no-graph-capture] [--dtype DTYPE]');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const runtime = await loadDawnRuntime();
if (typeof runtime === 'string') throw new Error(runtime);

/** Bytes of each buffer still held, by a token the buffer's collection or destruction removes. */
const held = new Map<object, number>();
const tokens = new WeakMap<object, object>();
const collected = new FinalizationRegistry<object>((token) => held.delete(token));
type Prototype = Record<string, (this: object, ...args: unknown[]) => unknown>;
const prototypeOf = (name: string) =>
  (globalThis as unknown as Record<string, { prototype: Prototype }>)[name]?.prototype;
const device = prototypeOf('GPUDevice');
const buffer = prototypeOf('GPUBuffer');
if (!device || !buffer) throw new Error('no WebGPU globals: the webgpu package did not load');
const createBuffer = device.createBuffer;
const destroy = buffer.destroy;
if (!createBuffer || !destroy) throw new Error('GPUDevice.createBuffer or GPUBuffer.destroy is missing');
device.createBuffer = function (...args) {
  const made = createBuffer.apply(this, args) as { size: number };
  const token = {};
  held.set(token, made.size);
  tokens.set(made, token);
  collected.register(made, token);
  return made;
};
buffer.destroy = function (...args) {
  const token = tokens.get(this);
  if (token) held.delete(token);
  return destroy.apply(this, args);
};

async function heldMB(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let bytes = 0;
  for (const size of held.values()) bytes += size;
  return Math.round(bytes / 1e5) / 10;
}

const graphCapture = !values['no-graph-capture'];
const loadStart = performance.now();
const model = await loadModel(runtime.ort, folderReader(dir), {
  backend: 'webgpu',
  graphCapture,
  dtype: dtypeOption(values.dtype),
});
const loadMs = Math.round(performance.now() - loadStart);
const afterLoadMB = await heldMB();
let completionTokens = 0;
for await (const event of model.complete('Once upon a time', { maxNewTokens: 4, temperature: 0 }))
  if (event.type === 'done') completionTokens = event.tokenIds.length;
const afterCompletionMB = await heldMB();
await model.dispose();
console.log(
  JSON.stringify({
    package: dir,
    graphCapture,
    staticDecoder: model.info.staticDecoder ?? null,
    files: model.info.files,
    loadMs,
    heldAfterLoadMB: afterLoadMB,
    heldAfterCompletionMB: afterCompletionMB,
    completionTokens,
  }),
);
