import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../errors';
import { buildPrompt, commonPrefixLength, type PromptCodec, templateMessages } from './prompt';

const IMAGE = 99;

/** A codec whose template writes one id per word and 99 for each image part, so layouts are easy to read. */
const codec: PromptCodec = {
  encodeChat: (messages) =>
    messages
      .flatMap((m) => m.content.map((part) => (part.type === 'image' ? '99' : part.text)))
      .join(' ')
      .split(' ')
      .map(Number),
};

describe('buildPrompt', () => {
  it('expands each image token to one position per feature row, marking which image sits there', () => {
    const messages = templateMessages(
      [
        { role: 'user', text: '1 2', images: [{ width: 1, height: 1, data: new Uint8Array(4) }] },
        { role: 'assistant', text: '3' },
      ],
      '7',
    );
    const layout = buildPrompt(codec, IMAGE, messages, [{ index: 0, rows: 3 }]);
    expect(layout.slots).toEqual([7, -1, -1, -1, 1, 2, 3]);
    expect(layout.rows).toEqual([-1, 0, 1, 2, -1, -1, -1]);
  });

  it('gives each of several images its own part before the text, and its own positions in order', () => {
    const pixel = { width: 1, height: 1, data: new Uint8Array(4) };
    const messages = templateMessages([{ role: 'user', text: '1', images: [pixel, pixel] }], undefined);
    expect(messages[0]?.content).toEqual([{ type: 'image' }, { type: 'image' }, { type: 'text', text: '1' }]);
    const layout = buildPrompt(codec, IMAGE, messages, [
      { index: 1, rows: 2 },
      { index: 0, rows: 1 },
    ]);
    expect(layout.slots).toEqual([-2, -2, -1, 1]);
    expect(layout.rows).toEqual([0, 1, 0, -1]);
  });

  it('fails when the template renders a different number of image tokens than there are images', () => {
    const messages = templateMessages([{ role: 'user', text: '1' }], undefined);
    expect(() => buildPrompt(codec, IMAGE, messages, [{ index: 0, rows: 2 }])).toThrow(GlimpseError);
  });
});

describe('commonPrefixLength', () => {
  it('stops where a different image occupies the same positions', () => {
    const a = { slots: [1, -1, -1, 5], rows: [-1, 0, 1, -1] };
    const b = { slots: [1, -2, -2, 5], rows: [-1, 0, 1, -1] };
    expect(commonPrefixLength(a, a)).toBe(4);
    expect(commonPrefixLength(a, b)).toBe(1);
    expect(commonPrefixLength(a, { slots: [1, -1], rows: [-1, 0] })).toBe(2);
  });
});
