import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLlama2cCheckpoint } from '../../src/toolkit/llama2c/checkpoint';
import { loadGreedyFromBos, loadStories260k } from '../data/stories260k';
import { type Llama2cVocabulary, readLlama2cTokenizer } from '../llama2c/tokenizer';
import { stories260kFiles } from '../packages/stories260k';
import { writePackage } from '../packages/write';
import { llama2cDecode, llama2cEncode } from '../testing/llama2c-encode';
import { toTokenizerConfig, toTokenizerJson } from './tokenizer-json';

const SAMPLES = [
  'Once upon a time, there was a little girl named Lily.',
  'The cat sat on the mat. It was happy!',
  '  two leading spaces, and trailing ones  ',
  'line one\nline two\ttab',
  'Café crème brûlée, déjà vu — naïve façade.',
  '日本語のテキストです。',
  'emoji 🐱🚀 and 👩‍👩‍👧 family',
  'Ωμέγα Привет мир 你好 مرحبا',
  'numbers 1234567890 and symbols #$%&*(){}[]<>',
  'aaaa bbbbbb ...... !!!!',
  'x',
  ' ',
  '',
];

describe('tokenizer.json converted from tok512.bin', () => {
  let vocab: Llama2cVocabulary;
  let dir: string;

  beforeAll(async () => {
    const files = await loadStories260k();
    vocab = readLlama2cTokenizer(files.tokenizer, readLlama2cCheckpoint(files.checkpoint).config.vocabSize);
    dir = await mkdtemp(join(tmpdir(), 'glimpse-tokenizer-'));
    await writePackage(join(dir, 'stories260k'), await stories260kFiles());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes like the llama2.c rule in @huggingface/tokenizers, non-ASCII text included', () => {
    const tokenizer = new Tokenizer(
      toTokenizerJson(vocab),
      toTokenizerConfig(vocab, { modelMaxLength: 512 }),
    );
    for (const text of SAMPLES) {
      expect(tokenizer.encode(text).ids, text).toEqual(llama2cEncode(vocab, text));
    }
  });

  it('encodes like the llama2.c rule in transformers.js AutoTokenizer loaded from the package folder', async () => {
    env.localModelPath = dir;
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained('stories260k');
    for (const text of SAMPLES) {
      expect(tokenizer.encode(text), text).toEqual(llama2cEncode(vocab, text));
    }
  });

  it('decodes the documented greedy sample to its documented text', async () => {
    const sample = await loadGreedyFromBos();
    env.localModelPath = dir;
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained('stories260k');
    expect(tokenizer.decode(sample.ids)).toBe(sample.text);
    expect(llama2cDecode(vocab, sample.ids)).toBe(sample.text);
  });

  it('round-trips non-ASCII text through byte-fallback tokens', () => {
    const tokenizer = new Tokenizer(
      toTokenizerJson(vocab),
      toTokenizerConfig(vocab, { modelMaxLength: 512 }),
    );
    for (const text of SAMPLES.filter((t) => t.trim() === t && t.length > 0)) {
      expect(tokenizer.decode(tokenizer.encode(text).ids, { skip_special_tokens: true })).toBe(text);
    }
  });
});
