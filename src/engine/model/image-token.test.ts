import { describe, expect, it } from 'vitest';
import type { ModelConfig } from './config';
import { resolveImageTokenId } from './image-token';

const VOCAB = new Map([
  ['<|im_end|>', 10],
  ['<image>', 11],
]);
const withImage = {
  tokenToId: (token: string) => VOCAB.get(token),
  idToToken: (id: number) => [...VOCAB].find(([, value]) => value === id)?.[0],
};
const withoutImage = {
  tokenToId: (token: string) => (token === '<image>' ? undefined : VOCAB.get(token)),
  idToToken: (id: number) => (id === 10 ? '<|im_end|>' : undefined),
};

function config(imageTokenIndex: number | undefined, declaresVision: boolean): ModelConfig {
  return {
    modelType: declaresVision ? 'llava_qwen2' : 'qwen2',
    imageTokenIndex,
    declaresVision,
    contextLength: 2048,
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 16,
    declaredImageTokens: undefined,
  };
}

describe('the image token', () => {
  it("is config.json's image_token_index when the tokenizer has it", () => {
    expect(resolveImageTokenId(config(11, true), withImage)).toBe(11);
  });

  it("is the tokenizer's <image> when the config has LLaVA's -200 placeholder or none", () => {
    expect(resolveImageTokenId(config(-200, true), withImage)).toBe(11);
    expect(resolveImageTokenId(config(undefined, true), withImage)).toBe(11);
  });

  it('is absent for a text-only model', () => {
    expect(resolveImageTokenId(config(undefined, false), withImage)).toBeUndefined();
  });

  it('fails at load, naming the placeholder, when no token can mark the image', () => {
    expect(() => resolveImageTokenId(config(-200, true), withoutImage)).toThrow(
      /-200 is a placeholder.*no <image> token/,
    );
    expect(() => resolveImageTokenId(config(99, true), withImage)).toThrow(/no token with that id/);
  });
});
