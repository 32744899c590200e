import { describe, expect, it } from 'vitest';
import { lookupDraft } from './prompt-lookup';

describe('lookupDraft', () => {
  it('copies what followed the most recent earlier occurrence of the longest matching suffix', () => {
    // The suffix [3, 4] occurred at 2 (followed by 9, 9) and at 6 (followed by 5, 6): the later one wins.
    expect(lookupDraft([1, 2, 3, 4, 9, 9, 3, 4, 5, 6, 7, 3, 4], 3)).toEqual([5, 6, 7]);
    // A three-token match beats a more recent two-token one.
    expect(lookupDraft([2, 3, 4, 8, 0, 3, 4, 5, 2, 3, 4], 2)).toEqual([8, 0]);
  });

  it('falls back to shorter suffixes, stops at the end of the sequence and honours the budget', () => {
    expect(lookupDraft([5, 1, 2, 9, 1, 2], 4)).toEqual([9, 1, 2]);
    expect(lookupDraft([1, 2, 3, 1, 2], 1)).toEqual([3]);
    expect(lookupDraft([1, 2, 3, 1, 2], 0)).toEqual([]);
  });

  it('proposes nothing when the last two tokens never occurred before', () => {
    expect(lookupDraft([1, 2, 3, 4], 4)).toEqual([]);
    expect(lookupDraft([7, 1, 2, 7], 4)).toEqual([]);
    expect(lookupDraft([1], 4)).toEqual([]);
    expect(lookupDraft([], 4)).toEqual([]);
  });
});
