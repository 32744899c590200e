/** The token loop's view of the decoder: run tokens through it, and take unconfirmed drafts back out. */
import { type DecoderSequence, mergedSequence } from '../decoder/sequence';
import { type StepTimes, timed } from '../decoder/step-times';
import type { ModelRuntime } from './model-runtime';
import { tokenInput } from './prefill';
import type { LoopParams } from './token-loop';

/** A new sequence on the model's decoder: the cache kept in place on a CPU backend, else the merged decoder's. */
export function openSequence(model: ModelRuntime): DecoderSequence {
  return model.cpuDecoder?.open() ?? mergedSequence(model.ort, model.decoder, model.kvSlicer);
}

export function decoderSteps(
  model: ModelRuntime,
  sequence: DecoderSequence,
  /** Throws when the caller can no longer run the model (a closed conversation). */
  checkOpen: () => void = () => undefined,
  /** Where the steps' time goes, added up for the turn's stats. */
  times?: StepTimes,
  /** The sampler takes the argmax only: a decoder that computes it need not hand back the logits. */
  tokensOnly = false,
): Pick<LoopParams, 'step' | 'rewind'> {
  // The merged decoder takes embeddings where embed_tokens left them (GPU memory, on WebGPU).
  const onDevice = model.cpuDecoder ? undefined : model.decoder.embedsType;
  return {
    step: async (ids) => {
      checkOpen();
      const input = await timed(times, 'embedMs', () => tokenInput(model, ids, onDevice));
      if (times) times.steps++;
      return sequence.run(input, ids.length, { times, tokensOnly });
    },
    // A closed conversation's cache is already empty.
    rewind: (count) => sequence.truncate(Math.max(0, sequence.length - count)),
  };
}
