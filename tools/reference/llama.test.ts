import { describe, expect, it } from 'vitest';
import { readLlama2cCheckpoint } from '../../src/toolkit/llama2c/checkpoint';
import { loadGreedyFromBos, loadStories260k } from '../data/stories260k';
import { BOS_ID } from '../llama2c/tokenizer';
import { Llama2cReference } from './llama';

describe('Llama2cReference', () => {
  it('reproduces the documented 256-token greedy sample of stories260K from BOS', async () => {
    const documented = await loadGreedyFromBos();
    const model = readLlama2cCheckpoint((await loadStories260k()).checkpoint);
    expect(new Llama2cReference(model).greedy([BOS_ID], documented.ids.length)).toEqual(documented.ids);
  });
});
