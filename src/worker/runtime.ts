/**
 * The onnxruntime-web build each backend loads in a browser worker. The WebGPU bundle (the asyncify build,
 * 26.8 MB of wasm) runs the wasm provider too, but V8 compiles a module that size while the first runs
 * go: the vision encoder's first run took twice as long on it as on the plain build (14.2 MB;
 * tools/profile/ort-builds.ts, bench/README.md). So wasm loads the plain build, and WebGPU, or a fallback
 * after a lost device, only the build it runs on. Each build is its own module with its own heap.
 */
import { createEngine, type GlimpseEngine } from '../engine';
import { GlimpseError } from '../engine/errors';
import { navigatorGpu } from '../engine/runtime/capabilities';
import { hideNarrowSubgroups } from '../engine/runtime/narrow-subgroups';
import type { Ort } from '../engine/runtime/ort';

export type BrowserBackend = 'wasm' | 'webgpu';

const builds: Record<BrowserBackend, () => Promise<Ort>> = {
  wasm: () => import('onnxruntime-web/wasm'),
  webgpu: () => {
    const gpu = navigatorGpu();
    if (gpu) hideNarrowSubgroups(gpu);
    return import('onnxruntime-web/webgpu');
  },
};
const loaded = new Map<BrowserBackend, Promise<Ort>>();

/** Threads need SharedArrayBuffer, which only a cross-origin isolated page has; ORT keeps 1 otherwise. */
export function wasmThreads(): number {
  return self.crossOriginIsolated ? Math.max(1, Math.min(8, navigator.hardwareConcurrency)) : 1;
}

export function onnxRuntime(backend: BrowserBackend): Promise<Ort> {
  let ort = loaded.get(backend);
  if (ort === undefined) {
    ort = builds[backend]().then((module) => {
      module.env.wasm.numThreads = wasmThreads();
      return module;
    });
    loaded.set(backend, ort);
  }
  return ort;
}

/** The engine over the build of the backend each load asks for. */
export const browserEngine: GlimpseEngine = {
  async loadModel(reader, options) {
    if (options.backend === 'cpu')
      throw new GlimpseError('internal', 'The cpu backend is onnxruntime-node, not a browser build.');
    return createEngine(await onnxRuntime(options.backend)).loadModel(reader, options);
  },
};
