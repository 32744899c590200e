/**
 * A turn on the graph-captured decoder (decoder/static-decoder.ts), for text completion and chat alike.
 * The static decoder holds one sequence, and a model that has one keeps no other decoder on the GPU
 * (load.ts reads the merged one only where the static one does not load): turns take it one at a time, a
 * turn started while another holds it waiting for it. Its cache keeps what the last holder left there, so a conversation whose turn follows its
 * own last one reuses the common prefix; any other turn starts over.
 */
import type { StaticDecoder } from '../decoder/static-decoder';
import type { StepPlanner } from '../decoder/step-planner';
import { type StepTimes, timed } from '../decoder/step-times';
import { GlimpseError, throwIfAborted } from '../errors';
import type { ModelRuntime } from './model-runtime';
import type { LoopParams } from './token-loop';

export interface StaticLease {
  readonly decoder: StaticDecoder;
  /** The cache still holds what this owner left in it (no other turn has run since). */
  readonly ownCache: boolean;
  /** Ends the turn; the cache stays this owner's until another turn takes the decoder. */
  release(): void;
}

interface Holder {
  /** Whose sequence the cache holds. */
  owner: object;
  busy: boolean;
  /** Turns waiting for the decoder, woken one at a time as it is released. */
  readonly waiting: (() => void)[];
}

const holders = new WeakMap<StaticDecoder, Holder>();

/**
 * The static decoder for a turn of `owner`, once no other turn holds it; undefined when the model has
 * none. Throws 'aborted' when `signal` aborts while the turn waits.
 */
export async function leaseStaticDecoder(
  model: ModelRuntime,
  owner: object,
  signal?: AbortSignal,
): Promise<StaticLease | undefined> {
  const decoder = model.staticDecoder;
  if (!decoder) return undefined;
  let holder = holders.get(decoder);
  if (!holder) {
    holder = { owner: {}, busy: false, waiting: [] };
    holders.set(decoder, holder);
  }
  while (holder.busy) await released(holder, signal);
  throwIfAborted(signal);
  const ownCache = holder.owner === owner;
  holder.owner = owner;
  holder.busy = true;
  let held = true;
  const current = holder;
  return {
    decoder,
    ownCache,
    release: () => {
      if (!held) return;
      held = false;
      current.busy = false;
      current.waiting.shift()?.();
    },
  };
}

/** Resolves when `holder` is released, or rejects when `signal` aborts first. */
function released(holder: Holder, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const wake = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      const index = holder.waiting.indexOf(wake);
      if (index >= 0) holder.waiting.splice(index, 1);
      reject(new GlimpseError('aborted', 'Stopped.'));
    };
    holder.waiting.push(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The token loop's steps on the static decoder: a token and up to `draftTokens` draft tokens (as many as
 * the decoder was built for) as a replay of the captured graph, or the token alone uncaptured, as
 * `planner` (the model's, measuring across its turns) chooses. `onDevice` (an argmaxOnly sampler) reads
 * back the device's argmax of each; any other sampler reads their rows of logits.
 */
export function staticSteps(
  decoder: StaticDecoder,
  planner: StepPlanner,
  onDevice: boolean,
  draftTokens: number,
  times: StepTimes,
  /** Throws when the caller can no longer run the model (a closed conversation). */
  checkOpen: () => void = () => undefined,
): Pick<LoopParams, 'step' | 'rewind' | 'draftTokens'> {
  // Draft tokens the last replay carried, until the loop cuts those that did not come true (a rewind) or
  // keeps them all (the next step).
  let carried = 0;
  const settle = (cut: number) => {
    if (carried > 0) planner.drafted(carried - cut);
    carried = 0;
  };
  return {
    draftTokens: Math.min(draftTokens, decoder.draftRows),
    step: async (ids) => {
      checkOpen();
      settle(0);
      times.steps++;
      // Near the context's end no replay fits: the decoder runs the ids uncaptured, a cost not to learn from.
      const run = decoder.replayFits ? planner.choose(ids.length - 1) : undefined;
      const fed = run === 'single' ? ids.slice(0, 1) : ids;
      const replay = run !== 'single';
      const runMsBefore = times.runMs;
      // The step embeds its tokens itself, into its own input: the embedding's time is in the run's.
      const rows = await timed(times, 'runMs', async () =>
        onDevice ? decoder.greedy(fed, replay) : decoder.logits(fed, replay),
      );
      if (run) planner.ran(run, times.runMs - runMsBefore);
      if (run === 'captured') {
        times.replays++;
        carried = fed.length - 1;
      }
      return rows;
    },
    rewind: async (count) => {
      settle(count);
      decoder.rewind(Math.max(0, decoder.length - count));
    },
  };
}
