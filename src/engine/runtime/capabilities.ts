/** What the WebGPU adapter can do, probed where the engine runs (a worker or a page; absent in Node). */

interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

function hasGpu(value: unknown): value is { gpu: GpuLike } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'gpu' in value &&
    typeof value.gpu === 'object' &&
    value.gpu !== null
  );
}

/** Whether the adapter computes in half precision; false when there is no adapter to ask. */
export async function probeShaderF16(): Promise<boolean> {
  const navigator: unknown = Reflect.get(globalThis, 'navigator');
  if (!hasGpu(navigator)) return false;
  try {
    const adapter = await navigator.gpu.requestAdapter();
    return adapter?.features.has('shader-f16') ?? false;
  } catch {
    return false;
  }
}
