/** Plain text completion (BOS + prompt, no chat template), for text-only packages and the CLI's `generate`. */
import { runDecoder } from '../decoder/decoder';
import { KvCache } from '../decoder/kv-cache';
import { GlimpseError } from '../errors';
import type { GenerateEvent, GenerateOptions } from '../types';
import { decoderSteps } from './decoder-steps';
import type { ModelRuntime } from './model-runtime';
import { prefillInput } from './prefill';
import { overflowError, turnSettings } from './sampling';
import { decodeTokens, doneEvent, newLoopState } from './token-loop';

export async function* completeText(
  model: ModelRuntime,
  prompt: string,
  options: GenerateOptions = {},
): AsyncGenerator<GenerateEvent> {
  const startedAt = performance.now();
  const bos = model.codec.bosTokenId;
  const ids = [
    ...(bos === undefined ? [] : [bos]),
    ...(prompt === '' ? [] : model.codec.encodePlain(prompt)),
  ];
  if (ids.length === 0)
    throw new GlimpseError(
      'internal',
      'Nothing to complete: the prompt is empty and the model has no BOS token.',
    );
  if (ids.length >= model.contextLength) throw overflowError(ids.length, model.contextLength);
  const settings = turnSettings(model, options, ids.length);
  const cache = new KvCache(model.ort, model.decoder, model.kvSlicer);
  const state = newLoopState();
  try {
    const prefillStart = performance.now();
    const layout = { slots: ids, rows: ids.map(() => -1) };
    const firstLogits = await runDecoder(
      model.ort,
      model.decoder,
      cache,
      await prefillInput(model, layout, 0, []),
    );
    const prefillMs = performance.now() - prefillStart;
    yield* decodeTokens(
      firstLogits,
      {
        ...settings,
        detokenizer: model.codec.createDetokenizer(),
        signal: options.signal,
        context: ids,
        ...decoderSteps(model, cache, undefined, state.times),
      },
      state,
    );
    yield doneEvent(state, {
      startedAt,
      promptTokens: ids.length,
      prefillTokens: ids.length,
      visionMs: 0,
      prefillMs,
      contextReset: false,
    });
  } finally {
    cache.clear();
  }
}
