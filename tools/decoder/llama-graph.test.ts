import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGreedyFromBos } from '../data/stories260k';
import { EOS_ID } from '../llama2c/tokenizer';
import { loadStories260kModel, type Stories260kModel, stories260kFiles } from '../packages/stories260k';
import { writePackage } from '../packages/write';
import { Llama2cReference } from '../reference/llama';
import { llama2cEncode } from '../testing/llama2c-encode';
import { greedyIds, logitsInChunks, openPackageSessions, type PackageSessions } from '../testing/ort-greedy';

/** KV-cached logits agree with a full recomputation to this max absolute difference (logits are O(10)). */
const KV_TOLERANCE = 1e-4;

const PROMPTS = [
  'Once upon a time',
  'The dog ran to the park and',
  'Tom had a big red ball. He',
  'Café au lait, s’il vous plaît',
  '日本のねこ',
  'A 🐱 said hi.',
];

describe('stories260k decoder graph on onnxruntime-web (wasm)', () => {
  let dir: string;
  let sessions: PackageSessions;
  let model: Stories260kModel;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glimpse-decoder-'));
    await writePackage(dir, await stories260kFiles());
    sessions = await openPackageSessions(dir);
    model = await loadStories260kModel();
  });
  afterAll(async () => {
    await sessions.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('reproduces the documented 256-token greedy sample from BOS', async () => {
    const documented = await loadGreedyFromBos();
    expect(documented.ids).toHaveLength(256);
    expect(await greedyIds(sessions, [1], documented.ids.length)).toEqual(documented.ids);
  });

  it('continues prompts exactly like the independent TypeScript forward pass', async () => {
    for (const prompt of PROMPTS) {
      const ids = llama2cEncode(model.vocab, prompt);
      const reference = new Llama2cReference(model.checkpoint).greedy(ids, 40, EOS_ID);
      expect(await greedyIds(sessions, ids, 40, EOS_ID), prompt).toEqual(reference);
    }
  });

  it('gives the logits of a full recomputation when decoding with the KV cache', async () => {
    const ids = llama2cEncode(model.vocab, 'Lily and Ben went to the beach. They saw a big crab and');
    const full = await logitsInChunks(sessions, ids, ids.length);
    for (const chunk of [1, 5]) {
      const cached = await logitsInChunks(sessions, ids, chunk);
      let maxDiff = 0;
      cached.forEach((logits, position) => {
        const expected = full[position];
        if (!expected) throw new Error(`no full logits at ${position}`);
        for (let i = 0; i < logits.length; i++)
          maxDiff = Math.max(maxDiff, Math.abs((logits[i] ?? 0) - (expected[i] ?? 0)));
      });
      expect(cached).toHaveLength(ids.length);
      expect(maxDiff, `chunk ${chunk}`).toBeLessThan(KV_TOLERANCE);
    }
  });

  it('produces logits over the model vocabulary and a KV cache of past plus new positions', async () => {
    const { config } = model.weights;
    const logits = await logitsInChunks(sessions, [1, 403, 407], 3);
    expect(logits.map((l) => l.length)).toEqual([config.vocabSize, config.vocabSize, config.vocabSize]);
    const outputs = sessions.decoder.outputNames;
    expect(outputs[outputs.length - 1]).toBe('logits');
    expect(sessions.decoder.inputNames.slice(0, 3)).toEqual([
      'inputs_embeds',
      'attention_mask',
      'position_ids',
    ]);
  });
});
