import { describe, expect, it } from 'vitest';
import { advantage, decodeRate, median, perSecond, ratio } from './stats';

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('ignores values that are not finite and is undefined for none', () => {
    expect(median([Number.NaN, 2, Number.POSITIVE_INFINITY])).toBe(2);
    expect(median([])).toBeUndefined();
  });
});

describe('rates', () => {
  it('counts the tokens after the first over the time after it', () => {
    expect(decodeRate([100, 150, 200, 300])).toBe(15);
  });

  it('has no decode rate for a single token and no rate over an empty span', () => {
    expect(decodeRate([100])).toBeUndefined();
    expect(perSecond(10, 0)).toBeUndefined();
    expect(perSecond(10, 500)).toBe(20);
  });
});

describe('ratios', () => {
  it('divides Glimpse by transformers.js and needs two positive figures', () => {
    expect(ratio(30, 20)).toBe(1.5);
    expect(ratio(30, 0)).toBeUndefined();
    expect(ratio(undefined, 20)).toBeUndefined();
  });

  it('orients an advantage so that above 1 means Glimpse is better', () => {
    expect(advantage(30, 20, true)).toBe(1.5);
    expect(advantage(50, 100, false)).toBe(2);
  });
});
