/** A call's generation options completed from the model's defaults and bounded by the context left. */
import { GlimpseError } from '../errors';
import { createSampler, type Sampler } from '../sampler/sampler';
import type { GenerateOptions } from '../types';
import type { ModelRuntime } from './model-runtime';

export interface TurnSettings {
  readonly sampler: Sampler;
  readonly maxNewTokens: number;
  readonly stopStrings: readonly string[];
  readonly eosTokenIds: ReadonlySet<number>;
  readonly draftTokens: number;
}

export function turnSettings(
  model: ModelRuntime,
  options: GenerateOptions,
  promptLength: number,
): TurnSettings {
  const { defaults } = model;
  const seed = options.seed ?? defaults.seed;
  const sampler = createSampler({
    temperature: options.temperature ?? defaults.temperature,
    topP: options.topP ?? defaults.topP,
    topK: options.topK ?? defaults.topK,
    repetitionPenalty: options.repetitionPenalty ?? defaults.repetitionPenalty,
    ...(seed === undefined ? {} : { seed }),
  });
  const requested = options.maxNewTokens ?? defaults.maxNewTokens;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new GlimpseError('internal', `maxNewTokens must be a positive integer, not ${requested}.`);
  }
  return {
    sampler,
    maxNewTokens: Math.min(requested, model.contextLength - promptLength),
    stopStrings: options.stopStrings ?? [],
    eosTokenIds: new Set(model.codec.eosTokenIds),
    draftTokens: options.draftTokens ?? defaults.draftTokens,
  };
}

/** `images` tells how many images the prompt holds and how many of its positions they take, when any. */
export function overflowError(
  promptLength: number,
  contextLength: number,
  images: { readonly images: number; readonly imagePositions: number } = { images: 0, imagePositions: 0 },
): GlimpseError {
  // Images are the advice only where the words would fit without them.
  const imagesOverflow = images.images > 0 && promptLength - images.imagePositions < contextLength;
  const advice = imagesOverflow
    ? `${images.images === 1 ? 'Its image takes' : `Its ${images.images} images take`} ${images.imagePositions} of them: send fewer images, or start a new chat.`
    : 'Start a new chat, or shorten the message.';
  return new GlimpseError(
    'context-overflow',
    `The conversation needs ${promptLength} tokens but the model's context holds ${contextLength}. ${advice}`,
    { details: { promptTokens: promptLength, contextLength, ...images } },
  );
}
