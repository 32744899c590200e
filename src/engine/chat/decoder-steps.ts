/** The token loop's view of the decoder: run tokens through it, and take unconfirmed drafts back out. */
import { runDecoderRows } from '../decoder/decoder';
import type { KvCache } from '../decoder/kv-cache';
import type { ModelRuntime } from './model-runtime';
import { tokenInput } from './prefill';
import type { LoopParams } from './token-loop';

export function decoderSteps(
  model: ModelRuntime,
  cache: KvCache,
  /** Throws when the caller can no longer run the model (a closed conversation). */
  checkOpen: () => void = () => undefined,
): Pick<LoopParams, 'step' | 'rewind'> {
  return {
    step: async (ids) => {
      checkOpen();
      const input = await tokenInput(model, ids);
      return runDecoderRows(model.ort, model.decoder, cache, input, ids.length);
    },
    // A closed conversation's cache is already empty.
    rewind: (count) => cache.truncate(Math.max(0, cache.length - count)),
  };
}
