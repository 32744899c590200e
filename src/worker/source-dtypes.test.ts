import { describe, expect, it } from 'vitest';
import { chooseDtypes } from '../engine/model/files';
import { sourceDtypes } from './source-dtypes';

const wasm = { backend: 'wasm', shaderF16: false } as const;

describe('source dtypes', () => {
  it('chooses among the files a served package, a Hub listing or a picked folder has', () => {
    const paths = ['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_q4.onnx'];
    const served = { id: 'x', baseUrl: '/models/x/', files: paths.map((path) => ({ path, size: 1 })) };
    const folder = { id: 'x', folder: paths.map((path) => ({ path, file: new Blob() })) };
    expect(sourceDtypes(served, wasm)).toEqual({ decoder_model_merged: 'q4' });
    expect(sourceDtypes(folder, wasm)).toEqual({ decoder_model_merged: 'q4' });
  });

  it("picks what the engine's rule (the CLI's) picks for the same files and device", () => {
    const paths = ['', '_fp16', '_q4', '_q4f16'].flatMap((suffix) =>
      ['vision_encoder', 'embed_tokens', 'decoder_model_merged'].map((part) => `onnx/${part}${suffix}.onnx`),
    );
    const source = { id: 'x', baseUrl: '/x/', files: paths.map((path) => ({ path, size: 1 })) };
    for (const [choice, device] of [
      [wasm, 'wasm'],
      [{ backend: 'webgpu', shaderF16: false }, 'webgpu'],
      [{ backend: 'webgpu', shaderF16: true }, 'webgpu-f16'],
    ] as const)
      expect(sourceDtypes(source, choice)).toEqual(chooseDtypes(paths, device));
  });

  it('leaves the choice to the engine when a source lists no files', () => {
    expect(sourceDtypes({ id: 'x', baseUrl: '/x/' }, wasm)).toEqual({});
  });
});
