import { describe, expect, it } from 'vitest';
import { chooseDtypes, parsePartFile, partFile } from './files';

/** A repository that holds every variant of every part, as the table describes. */
const everything = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'].flatMap((part) =>
  ['', '_fp16', '_q4', '_q4f16', '_quantized', '_int8', '_uint8', '_bnb4'].map(
    (s) => `onnx/${part}${s}.onnx`,
  ),
);

describe('chooseDtypes, the one rule for which file of a part to load', () => {
  it('picks fp16 embeddings on wasm and fp32 ones on WebGPU without shader-f16, 8-bit weights on wasm', () => {
    expect(chooseDtypes(everything, 'wasm')).toEqual({
      vision_encoder: 'quantized',
      embed_tokens: 'fp16',
      decoder_model_merged: 'quantized',
    });
    // The Hub's 8-bit files go by three names; q4 when a package has none of them.
    const hub = [
      'onnx/vision_encoder_int8.onnx',
      'onnx/vision_encoder_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx',
    ];
    expect(chooseDtypes(hub, 'wasm')).toEqual({ vision_encoder: 'int8', decoder_model_merged: 'q4' });
    expect(chooseDtypes(everything, 'webgpu')).toEqual({
      vision_encoder: 'q4',
      embed_tokens: 'fp32',
      decoder_model_merged: 'q4',
    });
    expect(chooseDtypes(everything, 'webgpu-f16')).toEqual({
      vision_encoder: 'q4f16',
      embed_tokens: 'fp16',
      decoder_model_merged: 'q4f16',
    });
  });

  it('chooses only among files that exist, and loads a lone variant wherever it runs', () => {
    const files = [
      'onnx/vision_encoder_fp16.onnx',
      'onnx/vision_encoder.onnx',
      'onnx/decoder_model_merged.onnx',
    ];
    expect(chooseDtypes(files, 'wasm')).toEqual({ vision_encoder: 'fp32', decoder_model_merged: 'fp32' });
    expect(chooseDtypes(files, 'webgpu-f16')).toEqual({
      vision_encoder: 'fp16',
      decoder_model_merged: 'fp32',
    });
  });

  it('refuses half-precision-only parts on WebGPU without shader-f16, saying what to do', () => {
    expect(() => chooseDtypes(['onnx/decoder_model_merged_fp16.onnx'], 'webgpu')).toThrow(/backend=wasm/);
  });

  it('reads a part and dtype back from a file name with the same suffix table', () => {
    expect(parsePartFile('onnx/embed_tokens_q4f16.onnx')).toEqual({ part: 'embed_tokens', dtype: 'q4f16' });
    expect(parsePartFile(partFile('decoder_model_merged', 'fp32'))).toEqual({
      part: 'decoder_model_merged',
      dtype: 'fp32',
    });
    expect(parsePartFile('onnx/other.onnx')).toBeUndefined();
  });
});
