/**
 * On an adapter whose subgroups are narrow, such as SwiftShader's (4 wide), onnxruntime-web 1.30's WebGPU
 * GroupQueryAttention answers wrongly for runs of 32 or more new positions, a prefill. With the adapter's
 * subgroup features hidden, onnxruntime takes its kernels without subgroups and the same attention is right at
 * every length (tools/testing/subgroup-attention.ts; bench/README.md, "The WebGPU prefill fault is
 * onnxruntime's subgroup kernel"). Its sources write their subgroup attention for at least 16 lanes (one
 * revision shuffles values across lanes 0–15). So an adapter whose widest subgroup is under 16 is handed to
 * onnxruntime without them. Adapters that can run 16-wide subgroups
 * (every desktop GPU: Intel 8–32, NVIDIA and Apple 32, AMD 32–64) keep them; the load-time attention check
 * (attention-check.ts) still guards any adapter whose kernels are wrong some other way.
 */

/** The subgroup width onnxruntime's kernels are written for. */
export const MIN_SUBGROUP_WIDTH = 16;

const SUBGROUP_FEATURE = /subgroup/;

/** The slice of a GPUAdapter this module reads; `info.subgroupMaxSize` is missing in older browsers. */
interface AdapterWithSubgroups {
  readonly features: Iterable<string>;
  readonly info?: { readonly subgroupMaxSize?: number };
  requestDevice(descriptor?: { requiredFeatures?: Iterable<string> }): Promise<unknown>;
}

function isAdapter(value: unknown): value is AdapterWithSubgroups {
  return (
    typeof value === 'object' &&
    value !== null &&
    'features' in value &&
    'requestDevice' in value &&
    typeof value.requestDevice === 'function'
  );
}

/** Whether the adapter offers subgroups, all narrower than onnxruntime's kernels assume. */
export function hasNarrowSubgroups(adapter: AdapterWithSubgroups): boolean {
  const widest = adapter.info?.subgroupMaxSize;
  return (
    typeof widest === 'number' &&
    widest < MIN_SUBGROUP_WIDTH &&
    [...adapter.features].some((feature) => SUBGROUP_FEATURE.test(feature))
  );
}

function withoutSubgroupFeatures(features: Iterable<string> | undefined): string[] {
  return [...(features ?? [])].filter((feature) => !SUBGROUP_FEATURE.test(feature));
}

/**
 * The adapter as onnxruntime should see it: without its subgroup features, and giving devices without them.
 * Everything else is the adapter's own, its methods called on the adapter itself (a browser's GPUAdapter
 * refuses a method called on a proxy).
 */
export function withoutSubgroups<T extends AdapterWithSubgroups>(adapter: T): T {
  const features = new Set(withoutSubgroupFeatures(adapter.features));
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'features') return features;
      if (property === 'requestDevice')
        return (descriptor: { requiredFeatures?: Iterable<string> } = {}) =>
          target.requestDevice({
            ...descriptor,
            requiredFeatures: withoutSubgroupFeatures(descriptor.requiredFeatures),
          });
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const patched = new WeakSet<object>();

/**
 * Makes `gpu.requestAdapter` (`navigator.gpu`'s) hand out adapters with narrow subgroups without their
 * subgroup features, for every later caller: onnxruntime-web's WebGPU build requests its adapter itself,
 * and a fresh one for each device it makes. Idempotent.
 */
export function hideNarrowSubgroups(gpu: object): void {
  const request: unknown = Reflect.get(gpu, 'requestAdapter');
  if (typeof request !== 'function' || patched.has(gpu)) return;
  patched.add(gpu);
  Reflect.set(gpu, 'requestAdapter', async (options?: unknown) => {
    const adapter: unknown = await request.call(gpu, options);
    return isAdapter(adapter) && hasNarrowSubgroups(adapter) ? withoutSubgroups(adapter) : adapter;
  });
}
