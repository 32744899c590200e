import { describe, expect, it } from 'vitest';
import { answerEstimate } from './answer-estimate';
import { defaultModelId, hubCatalog } from './catalog';
import type { HubEntry } from './models-slice';

const speed = {
  rowBytesPerSecond: 1e9,
  macsPerSecond: 1e10,
  freshBytesPerSecond: 1e9,
  copyBytesPerSecond: 2e9,
};

function entry(id: string): HubEntry {
  const found = hubCatalog().find((candidate) => candidate.id === id);
  if (!found) throw new Error(`${id} is not in the registry`);
  return found;
}

describe('the estimate before a download', () => {
  it("scales this device's speeds by the recommended model's 8-bit files and shapes", () => {
    const estimate = answerEstimate(entry(defaultModelId), speed);
    // LLaVA-Interleave-0.5B on wasm: vision_encoder_int8 404 MB, decoder_model_merged_quantized 482 MB,
    // embed_tokens_fp16 311 MB = 155.5 M weights, the 8-bit lm_head's bytes; 729 image tokens + 30 of text;
    // 24 layers × 16 KV heads × 64: 196,608 B per position.
    expect(estimate?.visionSeconds).toBeCloseTo((729 * 404e6) / 1e10, 9);
    expect(estimate?.prefillSeconds).toBeCloseTo((759 * 326.5e6) / 1e10 + 0.1555 + (759 * 196_608) / 1e9, 9);
    // The weights and the cache at its mean length over a 64-token answer, 759 + 63 / 2, read at 1e9 B/s,
    // and three copies of that cache at 2e9 B/s.
    const cache = 790.5 * 196_608;
    expect(estimate?.decodeTokensPerSecond).toBeCloseTo(1 / ((482e6 + cache) / 1e9 + (3 * cache) / 2e9), 9);
  });

  it('gives no figure where a file is not 8-bit or its size is unknown', () => {
    // nanoLLaVA's vision encoder size is not known; a model without shapes has no estimate either.
    expect(answerEstimate(entry('Xenova/nanoLLaVA'), speed)).toBeUndefined();
    expect(answerEstimate({ ...entry(defaultModelId), shape: undefined }, speed)).toBeUndefined();
    const plan = entry(defaultModelId).plans.wasm;
    if (!plan) throw new Error('no wasm plan');
    const q4 = { ...plan, dtype: { ...plan.dtype, decoder_model_merged: 'q4' as const } };
    expect(answerEstimate({ ...entry(defaultModelId), plans: { wasm: q4 } }, speed)).toBeUndefined();
  });
});
