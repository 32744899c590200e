import { describe, expect, it } from 'vitest';
import { roughSeconds, roughTokenRate } from './rough-figures';

describe('rough figures', () => {
  it('keeps one significant figure, in minutes from two minutes on', () => {
    expect(roughSeconds(38.6)).toBe('about 40 s');
    expect(roughSeconds(0.2)).toBe('about 1 s');
    expect(roughSeconds(119)).toBe('about 100 s');
    expect(roughSeconds(200)).toBe('about 3 min');
    expect(roughTokenRate(0.87)).toBe('about 0.9 tokens/s');
    expect(roughTokenRate(1.4)).toBe('about 1 token/s');
    expect(roughTokenRate(23)).toBe('about 20 tokens/s');
  });
});
