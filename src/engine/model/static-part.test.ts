import { describe, expect, it } from 'vitest';
import type { Ort, OrtSession } from '../runtime/ort';
import { loadStaticDecoder } from './static-part';
import type { DecoderSpec } from './validate';

describe('loadStaticDecoder', () => {
  const merged = { file: 'onnx/decoder_model_merged.onnx' } as DecoderSpec;
  const halfEmbed = {
    session: {} as OrtSession,
    file: 'onnx/embed_tokens_fp16.onnx',
    embedsType: 'float16',
  } as const;
  const options = { contextLength: 128, draftTokens: 4, packedQkv: true, warmToken: 1 };

  it('says why a half-precision embed_tokens cannot feed the captured step, before building a session', async () => {
    const read = async (path: string) =>
      path.endsWith('decoder_model_static.onnx') ? new Uint8Array(8) : null;
    await expect(loadStaticDecoder({} as Ort, read, { merged, embed: halfEmbed }, options)).rejects.toThrow(
      'onnx/decoder_model_static.onnx takes float32 embeddings and onnx/embed_tokens_fp16.onnx gives float16',
    );
  });

  it('leaves a package without the decode variant to the merged decoder, whatever its embed_tokens', async () => {
    expect(
      await loadStaticDecoder({} as Ort, async () => null, { merged, embed: halfEmbed }, options),
    ).toBeUndefined();
  });
});
