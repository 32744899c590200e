/**
 * Which backend runs. ONNX Runtime's own `['webgpu', 'wasm']` list falls back silently, so the worker
 * probes the adapter itself (once, with the engine's probe) and reports what really runs.
 */
import { GlimpseError } from '../engine/errors';
import { type GpuLike, probeAdapter } from '../engine/runtime/capabilities';
import type { BackendPreference } from './protocol';

export type { GpuLike } from '../engine/runtime/capabilities';

export interface BackendChoice {
  readonly backend: 'webgpu' | 'wasm';
  /** Only an adapter with `shader-f16` may run f16 files; the native WebGPU build rejects them otherwise. */
  readonly shaderF16: boolean;
}

/**
 * WebGPU on a hardware adapter; WebAssembly without one, or when the only adapter is a software one
 * (SwiftShader and the like run WebGPU on the CPU, far slower than WebAssembly). `?backend=webgpu` forces
 * WebGPU on any adapter.
 */
export async function chooseBackend(
  preference: BackendPreference,
  gpu: GpuLike | undefined,
): Promise<BackendChoice> {
  if (preference === 'wasm') return { backend: 'wasm', shaderF16: false };
  const adapter = await probeAdapter(gpu);
  if (adapter && (preference === 'webgpu' || !adapter.software))
    return { backend: 'webgpu', shaderF16: adapter.shaderF16 };
  if (preference === 'webgpu') {
    throw new GlimpseError(
      'backend-unavailable',
      'WebGPU is not available in this browser. Open the app without ?backend=webgpu to run on WebAssembly, ' +
        'or use a browser with WebGPU enabled.',
    );
  }
  return { backend: 'wasm', shaderF16: false };
}
