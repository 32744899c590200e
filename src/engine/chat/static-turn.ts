/**
 * A turn on the graph-captured decoder (decoder/static-decoder.ts), for text completion and chat alike.
 * The static decoder holds one sequence: one turn at a time decodes through it, and a turn started while
 * another holds it takes the KV-cache path. Its cache keeps what the last holder left there, so a
 * conversation whose turn follows its own last one reuses the common prefix; any other turn starts over.
 */
import type { StaticDecoder } from '../decoder/static-decoder';
import { type StepTimes, timed } from '../decoder/step-times';
import type { ModelRuntime } from './model-runtime';
import type { LoopParams } from './token-loop';

export interface StaticLease {
  readonly decoder: StaticDecoder;
  /** The cache still holds what this owner left in it (no other turn has run since). */
  readonly ownCache: boolean;
  /** Ends the turn; the cache stays this owner's until another turn takes the decoder. */
  release(): void;
}

const holders = new WeakMap<StaticDecoder, { readonly owner: object; readonly busy: boolean }>();

/**
 * The static decoder for a turn of `owner`, or undefined when the model has none, it takes no embeddings
 * (the static graph's input is inputs_embeds), or another turn holds it.
 */
export function leaseStaticDecoder(model: ModelRuntime, owner: object): StaticLease | undefined {
  const decoder = model.staticDecoder;
  if (!decoder || !model.embed || model.decoder.inputKind !== 'embeds') return undefined;
  const held = holders.get(decoder);
  if (held?.busy) return undefined;
  holders.set(decoder, { owner, busy: true });
  return {
    decoder,
    ownCache: held?.owner === owner,
    release: () => holders.set(decoder, { owner, busy: false }),
  };
}

/**
 * The token loop's steps on the static decoder, each a replay of the captured graph: a token and up to
 * `draftTokens` draft tokens (as many as the decoder was built for). `onDevice` (an argmaxOnly sampler)
 * reads back the device's argmax of each; any other sampler reads their rows of logits.
 */
export function staticSteps(
  decoder: StaticDecoder,
  onDevice: boolean,
  draftTokens: number,
  times: StepTimes,
  /** Throws when the caller can no longer run the model (a closed conversation). */
  checkOpen: () => void = () => undefined,
): Pick<LoopParams, 'step' | 'rewind' | 'draftTokens'> {
  return {
    draftTokens: Math.min(draftTokens, decoder.draftRows),
    step: async (ids) => {
      checkOpen();
      times.steps++;
      // The step embeds its tokens itself, into its own input: the embedding's time is in the run's.
      return timed(times, 'runMs', async () => {
        if (onDevice) return decoder.greedy(ids);
        return decoder.logits(ids);
      });
    },
    rewind: async (count) => decoder.rewind(Math.max(0, decoder.length - count)),
  };
}
