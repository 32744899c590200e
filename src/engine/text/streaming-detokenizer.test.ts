import { describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson } from '../../toolkit/tokenizer/byte-level-bpe';
import { loadTextCodec, type TextCodec } from './codec';
import { packageTextFiles } from './package-files.test-support';
import { StreamingDetokenizer } from './streaming-detokenizer';

const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'Un café crème, s’il vous plaît — naïve façade.',
  '日本語のテキスト',
  'Party 🎉🎉 time 👩‍👩‍👧 ok',
  '\n\n  spaced   out\ttabs\n',
];

function stream(codec: TextCodec, ids: readonly number[], skipSpecialTokens = true): string[] {
  const detokenizer = new StreamingDetokenizer(codec, { skipSpecialTokens });
  const deltas = ids.map((id) => detokenizer.push(id));
  deltas.push(detokenizer.flush());
  return deltas;
}

const CODECS: [string, () => TextCodec][] = [
  ['SentencePiece with byte fallback (stories260k)', () => loadTextCodec(packageTextFiles('stories260k'))],
  [
    'byte-level BPE (Qwen-like)',
    () => loadTextCodec({ tokenizerJson: byteLevelTokenizerJson(), tokenizerConfig: {} }),
  ],
];

describe.each(CODECS)('StreamingDetokenizer over %s', (_, makeCodec) => {
  const codec = makeCodec();

  it.each(TEXTS)('its deltas add up to the decode of all ids: %j', (text) => {
    const ids = codec.encode(text, { addSpecialTokens: true });
    const deltas = stream(codec, ids);
    expect(deltas.join('')).toBe(codec.decode(ids, { skipSpecialTokens: true }));
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
  });

  it('holds back the bytes of a split character until it is complete', () => {
    const ids = codec.encode('é', { addSpecialTokens: false });
    expect(ids.length).toBeGreaterThan(1);
    const detokenizer = new StreamingDetokenizer(codec);
    const deltas = ids.map((id) => detokenizer.push(id));
    expect(deltas.slice(0, -1).every((d) => d === '')).toBe(true);
    expect(deltas.at(-1)).toBe('é');
  });

  it('flushes an unfinished sequence as replacement characters', () => {
    const ids = codec.encode('日', { addSpecialTokens: false });
    const detokenizer = new StreamingDetokenizer(codec);
    for (const id of ids.slice(0, -1)) expect(detokenizer.push(id)).toBe('');
    expect(detokenizer.flush()).toMatch(/^\uFFFD+$/);
  });
});

describe('StreamingDetokenizer with SentencePiece', () => {
  const codec = loadTextCodec(packageTextFiles('stories260k'));

  it('keeps the space in front of each word after the first', () => {
    const ids = codec.encode('Once upon a time', { addSpecialTokens: true });
    const words = stream(codec, ids).filter((d) => d !== '');
    expect(words[0]).toBe('Once');
    expect(words.slice(1).every((w) => w.startsWith(' '))).toBe(true);
    expect(words.join('')).toBe('Once upon a time');
  });

  it('shows special tokens only when asked', () => {
    const ids = [...codec.encode('Hi', { addSpecialTokens: true }), ...codec.eosTokenIds];
    expect(stream(codec, ids).join('')).toBe('Hi');
    expect(stream(codec, ids, false).join('')).toBe(codec.decode(ids));
  });
});
