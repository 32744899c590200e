import { describe, expect, it } from 'vitest';
import { roughRate, roughSeconds } from './rough-figures';

describe('rough figures', () => {
  it('keeps one significant figure, in minutes from two minutes on', () => {
    expect(roughSeconds(38.6)).toBe('about 40 s');
    expect(roughSeconds(0.2)).toBe('about 1 s');
    expect(roughSeconds(119)).toBe('about 100 s');
    expect(roughSeconds(200)).toBe('about 3 min');
    expect(roughRate(0.87)).toBe('about 0.9');
    expect(roughRate(23)).toBe('about 20');
  });
});
