import { describe, expect, it } from 'vitest';
import { chooseBackend, chooseDtypes, type GpuLike } from './backend';

function gpu(features: string[] | null): GpuLike {
  return {
    requestAdapter: async () => (features ? { features: new Set(features) } : null),
  };
}

const hubFiles = [
  'onnx/vision_encoder_fp16.onnx',
  'onnx/vision_encoder_q4.onnx',
  'onnx/embed_tokens_fp16.onnx',
  'onnx/embed_tokens_q4.onnx',
  'onnx/decoder_model_merged_q4f16.onnx',
  'onnx/decoder_model_merged_q4.onnx',
];

describe('chooseBackend', () => {
  it('uses WebGPU when an adapter exists, and says whether it has shader-f16', async () => {
    expect(await chooseBackend('auto', gpu(['shader-f16']))).toEqual({ backend: 'webgpu', shaderF16: true });
    expect(await chooseBackend('auto', gpu([]))).toEqual({ backend: 'webgpu', shaderF16: false });
  });

  it('falls back to wasm without an adapter or without navigator.gpu', async () => {
    expect(await chooseBackend('auto', gpu(null))).toEqual({ backend: 'wasm', shaderF16: false });
    expect(await chooseBackend('auto', undefined)).toEqual({ backend: 'wasm', shaderF16: false });
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

describe('chooseDtypes', () => {
  it('never picks an f16 file on an adapter without shader-f16', () => {
    const dtypes = chooseDtypes(hubFiles, { backend: 'webgpu', shaderF16: false });
    expect(dtypes).toEqual({ vision_encoder: 'q4', embed_tokens: 'q4', decoder_model_merged: 'q4' });
  });

  it('prefers the f16 variants where the adapter can run them, and fp16 embeddings', () => {
    const dtypes = chooseDtypes(hubFiles, { backend: 'webgpu', shaderF16: true });
    expect(dtypes).toEqual({ vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4f16' });
  });

  it('says what to do when a part exists only in f16 and the GPU lacks it', () => {
    expect(() =>
      chooseDtypes(['onnx/decoder_model_merged_fp16.onnx'], { backend: 'webgpu', shaderF16: false }),
    ).toThrow(/\?backend=wasm/);
  });

  it('leaves out the parts a package does not have', () => {
    expect(chooseDtypes(['onnx/decoder_model_merged.onnx'], { backend: 'wasm', shaderF16: false })).toEqual({
      decoder_model_merged: 'fp32',
    });
  });
});
