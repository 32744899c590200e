// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { attentionError, attentionRunLimit } from './attention-check';

// The CPU GroupQueryAttention kernel needs head_size % 16 == 0.
const shape = { heads: 4, kvHeads: 2, headDim: 16, type: 'float32' } as const;

describe('attention check', () => {
  it("agrees with onnxruntime's CPU kernel, an independent implementation, short runs and long", async () => {
    const errors = await attentionError(ort, 'wasm', shape, [1, 5, 33, 64]);
    for (const error of errors) expect(error).toBeLessThan(1e-5);
  });

  it('gives no limit off WebGPU', async () => {
    expect(await attentionRunLimit(ort, 'wasm', shape)).toBeUndefined();
  });
});
