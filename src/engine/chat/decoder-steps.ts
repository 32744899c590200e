/** The token loop's view of the decoder: run tokens through it, and take unconfirmed drafts back out. */
import { runDecoderRows } from '../decoder/decoder';
import type { KvCache } from '../decoder/kv-cache';
import { type StepTimes, timed } from '../decoder/step-times';
import type { ModelRuntime } from './model-runtime';
import { tokenInput } from './prefill';
import type { LoopParams } from './token-loop';

export function decoderSteps(
  model: ModelRuntime,
  cache: KvCache,
  /** Throws when the caller can no longer run the model (a closed conversation). */
  checkOpen: () => void = () => undefined,
  /** Where the steps' time goes, added up for the turn's stats. */
  times?: StepTimes,
): Pick<LoopParams, 'step' | 'rewind'> {
  return {
    step: async (ids) => {
      checkOpen();
      const input = await timed(times, 'embedMs', () => tokenInput(model, ids));
      if (times) times.steps++;
      return runDecoderRows(model.ort, model.decoder, cache, input, ids.length, times);
    },
    // A closed conversation's cache is already empty.
    rewind: (count) => cache.truncate(Math.max(0, cache.length - count)),
  };
}
