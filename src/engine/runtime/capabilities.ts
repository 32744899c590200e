/**
 * What the WebGPU adapter can do, probed once where the engine runs (a worker or a page; Node has no
 * navigator.gpu). The worker chooses its backend from this and passes the result to the loader.
 */
import type { Ort } from './ort';
import { createSession } from './session';
import { sliceModel } from './slice-model';

/** The slice of a GPUAdapter the probe reads; `info` and `isFallbackAdapter` are missing in older browsers. */
export interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly isFallbackAdapter?: boolean;
  readonly info?: {
    readonly vendor?: string;
    readonly architecture?: string;
    readonly device?: string;
    readonly description?: string;
  };
}

/** The slice of `navigator.gpu` the probe needs. */
export interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

export interface AdapterCapabilities {
  /** Whether the adapter computes in half precision; only then may f16 files run. */
  readonly shaderF16: boolean;
  /**
   * A CPU rasteriser behind the WebGPU API (SwiftShader, llvmpipe, lavapipe): WebAssembly is far faster
   * there, so it is used only when asked for.
   */
  readonly software: boolean;
  /** What the adapter calls itself, for messages. */
  readonly name: string;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

/** The adapter's capabilities, or undefined when there is no adapter (or no WebGPU at all). */
export async function probeAdapter(gpu: GpuLike | undefined): Promise<AdapterCapabilities | undefined> {
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) return undefined;
  const { vendor = '', architecture = '', device = '', description = '' } = adapter.info ?? {};
  const name = [vendor, architecture, device, description].filter(Boolean).join(' ');
  return {
    shaderF16: adapter.features.has('shader-f16'),
    software: adapter.isFallbackAdapter === true || SOFTWARE.test(name),
    name,
  };
}

/** `navigator.gpu` where the platform has one. */
export function navigatorGpu(): GpuLike | undefined {
  const navigator: unknown = Reflect.get(globalThis, 'navigator');
  if (typeof navigator !== 'object' || navigator === null || !('gpu' in navigator)) return undefined;
  const { gpu } = navigator;
  return isGpu(gpu) ? gpu : undefined;
}

function isGpu(value: unknown): value is GpuLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    'requestAdapter' in value &&
    typeof value.requestAdapter === 'function'
  );
}

/**
 * Whether the GPU device ONNX Runtime itself runs on computes in half precision; undefined where the
 * runtime does not expose its device (onnxruntime-node). The adapter's word is not enough: Chromium's
 * SwiftShader adapter lists shader-f16 while onnxruntime-web's device lacks it, and an f16 file then fails to
 * load ("requires f16 but the device does not support it"). The device exists once a WebGPU session has been
 * created, so a tiny built-in one is created first.
 */
export async function runtimeShaderF16(ort: Ort): Promise<boolean | undefined> {
  const session = await createSession(ort, 'webgpu', {
    file: 'device probe (built in)',
    bytes: sliceModel('float32'),
    externalData: [],
  });
  await session.release();
  const device = await runtimeGpuDevice(ort);
  if (typeof device !== 'object' || device === null || !('features' in device)) return undefined;
  const { features } = device;
  return typeof features === 'object' &&
    features !== null &&
    'has' in features &&
    typeof features.has === 'function'
    ? Boolean(features.has('shader-f16'))
    : undefined;
}

/**
 * The WebGPU device ONNX Runtime runs on, once a WebGPU session exists: onnxruntime-web's (typed as a
 * promise of it, in 1.30 the device itself). onnxruntime-node 1.30 exposes none, and neither can it read a
 * tensor it left in GPU memory back to the CPU: getData() there ends the process ("terminate called after
 * throwing an instance of 'char const*'"), so only a runtime with a device gets outputs the engine reads
 * placed in GPU memory.
 */
export async function runtimeGpuDevice(ort: Ort): Promise<unknown> {
  const webgpu: unknown = Reflect.get(ort.env, 'webgpu');
  return typeof webgpu === 'object' && webgpu !== null ? await Reflect.get(webgpu, 'device') : undefined;
}
