/** Plain text completion (BOS + prompt, no chat template), for text-only packages and the CLI's `generate`. */
import { runLast } from '../decoder/sequence';
import type { StaticDecoder } from '../decoder/static-decoder';
import { GlimpseError } from '../errors';
import type { GenerateEvent, GenerateOptions } from '../types';
import { decoderSteps, openSequence } from './decoder-steps';
import type { ModelRuntime } from './model-runtime';
import { prefillInput } from './prefill';
import { overflowError, type TurnSettings, turnSettings } from './sampling';
import { leaseStaticDecoder, staticSteps } from './static-turn';
import { decodeTokens, doneEvent, newLoopState, type TurnFacts } from './token-loop';

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
  const lease = await leaseStaticDecoder(model, {}, options.signal);
  if (lease) {
    try {
      yield* completeCaptured(model, lease.decoder, ids, settings, options.signal, startedAt);
    } finally {
      lease.release();
    }
    return;
  }
  const cache = openSequence(model);
  const state = newLoopState();
  try {
    const prefillStart = performance.now();
    const layout = { slots: ids, rows: ids.map(() => -1) };
    const firstLogits = await runLast(cache, await prefillInput(model, layout, 0, []));
    const prefillMs = performance.now() - prefillStart;
    yield* decodeTokens(
      firstLogits,
      {
        ...settings,
        detokenizer: model.codec.createDetokenizer(),
        signal: options.signal,
        context: ids,
        ...decoderSteps(model, cache, undefined, state.times, settings.sampler.argmaxOnly),
      },
      state,
    );
    yield doneEvent(state, textTurn(startedAt, ids.length, prefillMs, false));
  } finally {
    cache.clear();
  }
}

/** A completion's facts: the whole prompt prefilled, no images, nothing reset. */
function textTurn(
  startedAt: number,
  promptTokens: number,
  prefillMs: number,
  graphCapture: boolean,
): TurnFacts {
  const facts = { startedAt, promptTokens, prefillTokens: promptTokens, visionMs: 0, prefillMs };
  return { ...facts, contextReset: false, graphCapture };
}

/**
 * Text completion over the graph-captured decoder: the prompt prefills uncaptured, then each step replays
 * the captured graph and reads back the device's argmax when the sampler is argmaxOnly; any other sampler
 * (temperature, top-k/p, repetition penalty) reads the step's logits.
 */
async function* completeCaptured(
  model: ModelRuntime,
  decoder: StaticDecoder,
  ids: readonly number[],
  settings: TurnSettings,
  signal: AbortSignal | undefined,
  startedAt: number,
): AsyncGenerator<GenerateEvent> {
  const state = newLoopState();
  const { times } = state;
  const onDevice = settings.sampler.argmaxOnly;
  decoder.rewind(0);
  const prefillStart = performance.now();
  const prompt = await prefillInput(model, { slots: [...ids], rows: ids.map(() => -1) }, 0, []);
  if (prompt.kind !== 'embeds')
    throw new GlimpseError('internal', 'The captured decoder needs an embed_tokens part.');
  const firstLogits = await decoder.prefill(prompt.data);
  const prefillMs = performance.now() - prefillStart;
  yield* decodeTokens(
    firstLogits,
    {
      ...settings,
      detokenizer: model.codec.createDetokenizer(),
      signal,
      context: ids,
      ...staticSteps(decoder, model.stepPlanner, onDevice, settings.draftTokens, times),
    },
    state,
  );
  yield doneEvent(state, textTurn(startedAt, ids.length, prefillMs, times.replays > 0));
}
