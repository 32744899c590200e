import { describe, expect, it } from 'vitest';
import { sourceDtypes } from './source-dtypes';

const wasm = { backend: 'wasm', shaderF16: false } as const;
const f16 = { backend: 'webgpu', shaderF16: true } as const;

describe('source dtypes', () => {
  const hub = {
    id: 'llava-hf/llava-interleave-qwen-0.5b-hf',
    baseUrl: 'https://huggingface.co/llava-hf/llava-interleave-qwen-0.5b-hf/resolve/main/',
    dtype: {
      'webgpu-f16': { vision_encoder: 'q4', embed_tokens: 'fp16', decoder_model_merged: 'q4f16' },
      wasm: { vision_encoder: 'q4', embed_tokens: 'fp16', decoder_model_merged: 'q4' },
    },
  } as const;

  it('loads exactly the dtypes a Hub source pins for the device the worker found', () => {
    expect(sourceDtypes(hub, f16)).toEqual(hub.dtype['webgpu-f16']);
    expect(sourceDtypes(hub, wasm)).toEqual(hub.dtype.wasm);
  });

  it('leaves the choice to the engine where a source pins nothing for this device and lists no files', () => {
    expect(sourceDtypes(hub, { backend: 'webgpu', shaderF16: false })).toEqual({});
  });

  it('chooses among the files a served package or a picked folder has', () => {
    const paths = ['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_q4.onnx'];
    const served = { id: 'x', baseUrl: '/models/x/', files: paths.map((path) => ({ path, size: 1 })) };
    const folder = { id: 'x', folder: paths.map((path) => ({ path, file: new Blob() })) };
    expect(sourceDtypes(served, wasm)).toEqual({ decoder_model_merged: 'q4' });
    expect(sourceDtypes(folder, wasm)).toEqual({ decoder_model_merged: 'q4' });
  });
});
