import { describe, expect, it } from 'vitest';
import type { GpuAdapterLike } from '../engine/runtime/capabilities';
import { chooseBackend, type GpuLike } from './backend';

function gpu(features: string[] | null, more: Omit<GpuAdapterLike, 'features'> = {}): GpuLike {
  return {
    requestAdapter: async () => (features ? { features: new Set(features), ...more } : null),
  };
}

describe('chooseBackend', () => {
  it('uses WebGPU when an adapter exists, and says whether it has shader-f16', async () => {
    expect(await chooseBackend('auto', gpu(['shader-f16']))).toEqual({ backend: 'webgpu', shaderF16: true });
    expect(await chooseBackend('auto', gpu([]))).toEqual({ backend: 'webgpu', shaderF16: false });
  });

  it('falls back to wasm without an adapter or without navigator.gpu', async () => {
    expect(await chooseBackend('auto', gpu(null))).toEqual({ backend: 'wasm', shaderF16: false });
    expect(await chooseBackend('auto', undefined)).toEqual({ backend: 'wasm', shaderF16: false });
  });

  it('does not choose a software adapter by default, but runs on one when WebGPU is forced', async () => {
    const software = [
      gpu([], { isFallbackAdapter: true }),
      gpu([], { info: { vendor: 'google', architecture: 'swiftshader' } }),
      gpu([], { info: { description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }),
      gpu([], { info: { device: 'lavapipe' } }),
    ];
    for (const adapter of software) {
      expect(await chooseBackend('auto', adapter)).toEqual({ backend: 'wasm', shaderF16: false });
      expect(await chooseBackend('webgpu', adapter)).toEqual({ backend: 'webgpu', shaderF16: false });
    }
    const hardware = gpu(['shader-f16'], { isFallbackAdapter: false, info: { vendor: 'nvidia' } });
    expect(await chooseBackend('auto', hardware)).toEqual({ backend: 'webgpu', shaderF16: true });
  });

  it('runs wasm when asked even where WebGPU exists', async () => {
    expect(await chooseBackend('wasm', gpu(['shader-f16']))).toEqual({ backend: 'wasm', shaderF16: false });
  });

  it('refuses a forced WebGPU that is not there, saying how to go on', async () => {
    await expect(chooseBackend('webgpu', gpu(null))).rejects.toMatchObject({
      code: 'backend-unavailable',
      message: expect.stringContaining('?backend=webgpu'),
    });
  });
});
