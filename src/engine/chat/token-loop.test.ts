import { describe, expect, it } from 'vitest';
import { createSampler } from '../sampler/sampler';
import { decodeTokens, type LoopParams, newLoopState } from './token-loop';

/** A toy greedy model: the token after `id` (a short cycle, so that prompt lookup finds drafts). */
const after = (id: number) => (id * 3 + 1) % 7;
const EOS = 99;

/**
 * The toy model as a decoder whose cache is a list of ids; `checked(drafts)` says how many of a step's
 * drafts it runs (the rest left out, as a step that found them not worth checking).
 */
function toyDecoder(prompt: readonly number[], checked: (drafts: number, step: number) => number) {
  const cache = [...prompt];
  let steps = 0;
  const params: Pick<LoopParams, 'step' | 'rewind'> = {
    step: async (ids) => {
      const run = ids.slice(0, 1 + checked(ids.length - 1, steps++));
      cache.push(...run);
      return run.map(after);
    },
    rewind: async (count) => {
      cache.length -= count;
    },
  };
  return { cache, params };
}

async function answer(checked: (drafts: number, step: number) => number, draftTokens: number) {
  const prompt = [1, 4, 6];
  const { cache, params } = toyDecoder(prompt, checked);
  const state = newLoopState();
  const loop = decodeTokens(
    after(prompt[prompt.length - 1] ?? 0),
    {
      sampler: createSampler({ temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1 }),
      detokenizer: { push: (id) => `${id} `, flush: () => '' },
      eosTokenIds: new Set([EOS]),
      stopStrings: [],
      maxNewTokens: 30,
      signal: undefined,
      context: prompt,
      draftTokens,
      ...params,
    },
    state,
  );
  let text = '';
  for await (const delta of loop) text += delta.text;
  return { text, state, cache: cache.slice(prompt.length) };
}

describe('decodeTokens', () => {
  it('gives the same answer whether a step checks all of its drafts, some or none', async () => {
    const plain = await answer(() => 0, 0);
    expect(plain.state.tokenIds).toHaveLength(30);
    for (const checked of [
      (drafts: number) => drafts,
      () => 0,
      (drafts: number, step: number) => (step % 2 ? drafts : Math.min(1, drafts)),
    ]) {
      const drafted = await answer(checked, 4);
      expect(drafted.text).toBe(plain.text);
      expect(drafted.state.tokenIds).toEqual(plain.state.tokenIds);
      // The cache holds what the loop says it fed: no draft left over, none counted that was not run.
      expect(drafted.cache).toEqual(drafted.state.fed);
      expect(drafted.state.accepted).toBeLessThanOrEqual(drafted.state.drafted);
    }
    const all = await answer((drafts) => drafts, 4);
    expect(all.state.accepted).toBeGreaterThan(0);
    const none = await answer(() => 0, 4);
    expect(none.state.drafted).toBe(0);
  });
});
