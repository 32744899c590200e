/**
 * Where a turn's decode steps spend their time, summed over the steps after the first token: what the
 * benchmark shows to tell the runtime's kernels from the engine's own work per token.
 */
export interface StepTimes {
  /** Decoder runs after the first token. */
  steps: number;
  /** Of them, the replays of a captured graph (static-turn.ts). */
  replays: number;
  /** The token-embedding session's runs ('embeds' decoders; the static decoder's are in runMs). */
  embedMs: number;
  /** The decoder session's runs, the KV cache's hand-over included. */
  runMs: number;
  /** Copying the logits out of the output tensor. */
  readMs: number;
  /** The sampler's choice of each token. */
  sampleMs: number;
}

export function newStepTimes(): StepTimes {
  return { steps: 0, replays: 0, embedMs: 0, runMs: 0, readMs: 0, sampleMs: 0 };
}

/** Runs `work` and adds its milliseconds to `times[key]`, when there is a `times` to add to. */
export async function timed<T>(
  times: StepTimes | undefined,
  key: Exclude<keyof StepTimes, 'steps' | 'replays'>,
  work: () => Promise<T>,
): Promise<T> {
  if (!times) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    times[key] += performance.now() - start;
  }
}
