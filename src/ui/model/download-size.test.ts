import { describe, expect, it } from 'vitest';
import { decimalBytes, planSize, planSizeInWords } from './download-size';

const plan = (totalBytes: number, complete: boolean) => ({
  device: 'wasm' as const,
  dtype: { vision_encoder: 'q4', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const,
  files: [],
  totalBytes,
  complete,
});

describe('download sizes', () => {
  it('states sizes in the Hub’s decimal units', () => {
    expect(decimalBytes(883_040_000)).toBe('883 MB');
    expect(decimalBytes(1_377_410_000)).toBe('1.38 GB');
    expect(decimalBytes(4_200)).toBe('4 kB');
  });

  it('marks a total with an unknown file as a lower bound', () => {
    expect(planSize(plan(626_000_000, true))).toBe('626 MB');
    expect(planSize(plan(626_000_000, false))).toBe('≥ 626 MB');
    expect(planSizeInWords(plan(626_000_000, false))).toBe('at least 626 MB');
  });
});
