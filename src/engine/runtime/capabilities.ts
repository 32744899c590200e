/**
 * What the WebGPU adapter can do, probed once where the engine runs (a worker or a page; Node has no
 * navigator.gpu). The worker chooses its backend from this and passes the result to the loader.
 */

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
