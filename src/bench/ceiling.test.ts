import { describe, expect, it } from 'vitest';
import { kvBytesPerPosition, meanDecodePositions } from '../engine/runtime/decode-cost';
import { decodeCeiling } from './ceiling';

describe('the decode ceiling', () => {
  it('is the read bandwidth over the weights and the KV cache one step reads', () => {
    // LLaVA-Interleave-0.5B's decoder: 24 layers, 16 KV heads of 64, float32 cache.
    const kv = kvBytesPerPosition({ numLayers: 24, numKvHeads: 16, headDim: 64 });
    expect(kv).toBe(196_608);
    const ceiling = decodeCeiling(
      { readBytesPerSecond: 12e9, memory: 'one core' },
      300e6 - kv * 1000,
      kv,
      1000,
    );
    expect(ceiling.tokensPerSecond).toBeCloseTo(40);
  });

  it('averages the cache length over the steps after the first token', () => {
    expect(meanDecodePositions(866, 1)).toBe(866);
    expect(meanDecodePositions(866, 17)).toBe(874);
  });
});
