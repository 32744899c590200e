import { describe, expect, it } from 'vitest';
import type { Ort, OrtSession } from '../runtime/ort';
import type { ModelConfig } from './config';
import { loadStaticDecoder } from './static-part';

describe('loadStaticDecoder', () => {
  const source = { file: 'onnx/decoder_model_static.onnx', bytes: new Uint8Array(8), externalData: [] };
  const config = { contextLength: 128 } as ModelConfig;
  const options = { draftTokens: 4, packedQkv: true, warmToken: 1 };

  it('says why a half-precision embed_tokens cannot feed the captured step, before building a session', async () => {
    const halfEmbed = {
      session: {} as OrtSession,
      file: 'onnx/embed_tokens_fp16.onnx',
      embedsType: 'float16',
    } as const;
    await expect(loadStaticDecoder({} as Ort, source, halfEmbed, config, options)).rejects.toThrow(
      'onnx/decoder_model_static.onnx takes float32 embeddings and onnx/embed_tokens_fp16.onnx gives float16',
    );
  });

  it('says so when the package has no embed_tokens for the step to embed its tokens with', async () => {
    await expect(loadStaticDecoder({} as Ort, source, undefined, config, options)).rejects.toThrow(
      'onnx/decoder_model_static.onnx takes embeddings and the package has no embed_tokens',
    );
  });
});
