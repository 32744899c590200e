/**
 * Logits → next token. Temperature ≤ 0.001 is greedy (as the LLaVA demo does); otherwise the processors run
 * in Hugging Face's order (repetition penalty, temperature, top-k, top-p) and a token is drawn from the
 * softmax of what is left, with a seeded generator so that a run can be repeated.
 */
import type { SamplingOptions } from '../types';
import {
  type LogitsProcessor,
  repetitionPenalty,
  temperature as temperatureProcessor,
  topK,
  topP,
} from './logits-processors';
import { createRng, type Rng, randomSeed } from './rng';

export interface Sampler {
  /** The seed in use: the one given, or a random one, so the run can be repeated. */
  readonly seed: number;
  /** next() is the argmax of the logits as given, so a device that computes the argmax may pick for it. */
  readonly argmaxOnly: boolean;
  /** Picks the next token. `logits` (one position, the vocabulary) is left unchanged. */
  next(logits: Float32Array, previousTokens: readonly number[]): number;
}

export const GREEDY_TEMPERATURE = 0.001;

export function createSampler(options: SamplingOptions): Sampler {
  const seed = options.seed ?? randomSeed();
  const greedy = options.temperature <= GREEDY_TEMPERATURE;
  const processors: LogitsProcessor[] = [];
  if (options.repetitionPenalty !== 1) processors.push(repetitionPenalty(options.repetitionPenalty));
  if (!greedy) {
    if (options.temperature !== 1) processors.push(temperatureProcessor(options.temperature));
    if (options.topK > 0) processors.push(topK(options.topK));
    if (options.topP < 1) processors.push(topP(options.topP));
  }
  const rng = createRng(seed);
  let scratch = new Float32Array(0);

  return {
    seed,
    argmaxOnly: greedy && processors.length === 0,
    next(logits, previousTokens) {
      if (logits.length === 0) throw new RangeError('Sampler: empty logits.');
      let working = logits;
      if (processors.length > 0) {
        if (scratch.length !== logits.length) scratch = new Float32Array(logits.length);
        scratch.set(logits);
        working = scratch;
        for (const process of processors) process(working, previousTokens);
      }
      return greedy ? argmax(working) : draw(working, rng);
    },
  };
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = values[0] ?? -Infinity;
  for (let i = 1; i < values.length; i++) {
    const value = values[i] ?? -Infinity;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

/** Draws an index from softmax(logits); entries at -Infinity are never drawn. */
function draw(logits: Float32Array, rng: Rng): number {
  const max = logits[argmax(logits)] ?? 0;
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] ?? -Infinity;
    if (value !== -Infinity) total += Math.exp(value - max);
  }
  let target = rng() * total;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] ?? -Infinity;
    if (value === -Infinity) continue;
    last = i;
    target -= Math.exp(value - max);
    if (target < 0) return i;
  }
  // Rounding can leave a sliver of target: it belongs to the last candidate.
  return last;
}
