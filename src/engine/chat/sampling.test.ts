import { describe, expect, it } from 'vitest';
import { overflowError } from './sampling';

describe('overflowError', () => {
  it('points at the images only where the words fit without them', () => {
    const images = (images: number, imagePositions: number) => ({ images, imagePositions });
    expect(overflowError(700, 512, images(1, 600)).message).toBe(
      "The conversation needs 700 tokens but the model's context holds 512. Its image takes 600 of them: send fewer images, or start a new chat.",
    );
    expect(overflowError(1300, 512, images(2, 1200)).message).toMatch(/Its 2 images take 1200 of them/);
    // 900 positions of words: fewer images would not help.
    expect(overflowError(1500, 512, images(1, 600)).message).toMatch(/shorten the message\.$/);
    expect(overflowError(600, 512).message).toMatch(/Start a new chat, or shorten the message\.$/);
    expect(overflowError(700, 512, images(1, 600)).details).toEqual({
      promptTokens: 700,
      contextLength: 512,
      images: 1,
      imagePositions: 600,
    });
  });
});
