/**
 * The bench worker: runs one system as the app runs Glimpse, off the main thread. Glimpse loads through
 * the app's own model cache (OPFS, filled from /models/); transformers.js through its Cache API cache.
 * Each first load starts from empty storage (cold); a second load then reads from storage.
 */
import { measureGlimpse, type Sampler } from '../../src/bench/measure-glimpse';
import { measureTransformers, transformersDtypes } from '../../src/bench/measure-transformers';
import { loadModel } from '../../src/engine/index';
import { deleteCachedModel } from '../../src/storage/cached-models';
import { openCachedPackage, openModelStore } from '../../src/storage/model-storage';
import { onnxRuntime, wasmThreads } from '../../src/worker/runtime';
import type { BenchJob, WorkerOutcome, WorkerReply } from './messages';

declare const TRANSFORMERS_ORT_DIST: string;

const threads = wasmThreads();
const noSample: Sampler = () => {};

async function glimpse(job: BenchJob): Promise<WorkerOutcome> {
  // The app worker's build for this backend; the engine serialises session creation itself.
  const engineOrt = await onnxRuntime(job.backend);
  const store = await openModelStore();
  await deleteCachedModel(store, job.modelId);
  const reader = () => openCachedPackage(store, { modelId: job.modelId, baseUrl: `/models/${job.modelId}` });
  const measured = await measureGlimpse(
    engineOrt,
    await reader(),
    job.backend,
    job.image,
    job.plan,
    { dtype: job.dtype, ...job.load },
    noSample,
  );
  const start = performance.now();
  const model = await loadModel(engineOrt, await reader(), {
    backend: job.backend,
    dtype: job.dtype,
    ...job.load,
  });
  const loadFromStorageMs = performance.now() - start;
  await model.dispose();
  return {
    measured,
    loadFromStorageMs,
    runtime: `onnxruntime-web ${engineOrt.env.versions.web ?? '?'} (${job.backend === 'wasm' ? 'wasm' : 'webgpu'} build)`,
    wasmThreads: threads,
  };
}

async function transformers(job: BenchJob): Promise<WorkerOutcome> {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = '/models/';
  tf.env.useBrowserCache = true;
  const onnx = tf.env.backends.onnx;
  if (onnx.wasm) {
    onnx.wasm.numThreads = threads;
    // Its own onnxruntime-web build, served by Vite; otherwise transformers.js fetches it from a CDN.
    onnx.wasm.wasmPaths = TRANSFORMERS_ORT_DIST;
  }
  await caches.delete('transformers-cache');
  const dtype = transformersDtypes(job.dtype);
  const target = { modelId: job.modelId, dtype, device: job.backend };
  const measured = await measureTransformers(tf, target, job.image, job.plan, noSample);
  const start = performance.now();
  const model = await tf.LlavaForConditionalGeneration.from_pretrained(job.modelId, {
    dtype,
    device: job.backend,
  });
  const loadFromStorageMs = performance.now() - start;
  await model.dispose();
  const version = onnx.versions?.web ?? '?';
  return {
    measured,
    loadFromStorageMs,
    runtime: `onnxruntime-web ${version} via transformers.js ${tf.env.version}`,
    wasmThreads: threads,
  };
}

self.addEventListener('message', (event: MessageEvent<BenchJob>) => {
  const job = event.data;
  const work = job.system === 'glimpse' ? glimpse(job) : transformers(job);
  work.then(
    (outcome) => self.postMessage({ kind: 'done', outcome } satisfies WorkerReply),
    (err: unknown) =>
      self.postMessage({
        kind: 'failed',
        error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err),
      } satisfies WorkerReply),
  );
});
