/**
 * onnxruntime-web's WebGPU provider in Node, over Dawn (the `webgpu` package, an optional dependency):
 * the code the browser runs, and the one provider with graph capture (onnxruntime-node 1.30 does not
 * pass enableGraphCapture to its WebGPU provider). Resolves to the reason instead where Dawn or an
 * adapter is missing.
 */
import { setFlagsFromString } from 'node:v8';
import { hideNarrowSubgroups } from '../engine/runtime/narrow-subgroups';
import type { Ort } from '../engine/runtime/ort';

export interface DawnRuntime {
  readonly ort: Ort;
  readonly adapter: string;
}

type WriteBuffer = (
  buffer: unknown,
  offset: number,
  data: unknown,
  dataOffset?: number,
  size?: number,
) => void;

/**
 * Dawn's writeBuffer refuses views of a SharedArrayBuffer, which is where onnxruntime-web's threaded
 * wasm memory lives: such views are copied first.
 */
function copySharedWrites(queue: { prototype: { writeBuffer: WriteBuffer } }): void {
  const write = queue.prototype.writeBuffer;
  queue.prototype.writeBuffer = function (this: unknown, buffer, offset, data, dataOffset, size) {
    const shared = ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer;
    // The same typed array over fresh memory, so that dataOffset and size keep their units.
    const view = shared
      ? new (data.constructor as new (source: ArrayBufferView) => ArrayBufferView)(data)
      : data;
    write.call(this, buffer, offset, view, dataOffset, size);
  };
}

let loaded: Promise<DawnRuntime | string> | undefined;
let adapterLoaded: Promise<GPUAdapter | string> | undefined;

/**
 * What onnxruntime sees of an adapter's subgroups: 'hide-narrow' (narrow-subgroups.ts) unless a tool that
 * shows the fault asks to 'keep' them.
 */
export type SubgroupPolicy = 'hide-narrow' | 'keep';

/** The runtime, once per process; a string says why there is none. */
export function loadDawnRuntime(): Promise<DawnRuntime | string> {
  loaded ??= load();
  return loaded;
}

/**
 * Dawn's adapter, once per process, with the WebGPU globals (GPUBufferUsage, …) installed; a string says
 * why there is none. The first call's `subgroups` holds for the process.
 */
export function dawnAdapter(subgroups: SubgroupPolicy = 'hide-narrow'): Promise<GPUAdapter | string> {
  adapterLoaded ??= requestDawnAdapter(subgroups);
  return adapterLoaded;
}

async function requestDawnAdapter(subgroups: SubgroupPolicy): Promise<GPUAdapter | string> {
  let dawn: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    dawn = (await import('webgpu')) as typeof dawn;
  } catch (err) {
    return `the webgpu package (Dawn for Node) is not installed: ${err instanceof Error ? err.message : err}`;
  }
  Object.assign(globalThis, dawn.globals);
  // Dawn quantises GPU timestamps unless told not to (to multiples of 131,072 ns on SwiftShader here; a
  // guard against timing attacks in pages), which would read a GPU machine's passes of a few µs as
  // nothing (dawn-kernels.ts).
  const gpu = dawn.create(['disable-dawn-features=timestamp_quantization']) as GPU;
  if (subgroups === 'hide-narrow') hideNarrowSubgroups(gpu);
  const adapter = await gpu.requestAdapter();
  if (!adapter) return 'Dawn found no WebGPU adapter';
  if (
    !('navigator' in globalThis) ||
    (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === undefined
  )
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(globalThis as { navigator?: object }).navigator, gpu },
      configurable: true,
    });
  return adapter;
}

async function load(): Promise<DawnRuntime | string> {
  const adapter = await dawnAdapter();
  if (typeof adapter === 'string') return adapter;
  const queue = (globalThis as Record<string, unknown>).GPUQueue as {
    prototype: { writeBuffer: WriteBuffer };
  };
  copySharedWrites(queue);
  // Baseline (Liftoff) code only for onnxruntime-web's wasm module, whose work here is the session
  // bookkeeping around GPU kernels: V8's optimising tier-up of that ~25 MB module held up the event loop
  // for 45-80 s of CPU after the first session on this 2-core machine (a file read issued then waited
  // that long), which Liftoff alone avoids; a decode step took about the same time either way.
  setFlagsFromString('--liftoff-only');
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort & {
    env: { wasm: { numThreads?: number } };
  };
  // The provider runs on this thread; wasm threads would only serve CPU-side kernels.
  ort.env.wasm.numThreads = 1;
  return { ort, adapter: adapterName(adapter) };
}

/** What the adapter calls itself, for reports. */
export function adapterName({ info }: GPUAdapter): string {
  return [info.vendor, info.description].filter(Boolean).join(' ') || 'unknown adapter';
}

/** onnxruntime-web's WebGPU device, available once a WebGPU session exists. */
export function dawnDevice(ort: Ort): unknown {
  return (ort.env as { webgpu?: { device?: unknown } }).webgpu?.device;
}
