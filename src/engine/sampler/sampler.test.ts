import { describe, expect, it } from 'vitest';
import type { SamplingOptions } from '../types';
import { createRng } from './rng';
import { argmax, createSampler } from './sampler';

const PLAIN: SamplingOptions = { temperature: 1, topP: 1, topK: 0, repetitionPenalty: 1, seed: 1 };

function randomLogits(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => (rng() - 0.5) * 10);
}

function draws(options: SamplingOptions, logits: Float32Array, count: number): number[] {
  const sampler = createSampler(options);
  return Array.from({ length: count }, () => sampler.next(logits, []));
}

describe('createSampler', () => {
  it('is greedy at temperature 0 and at temperature 0.001, whatever top-k and top-p say', () => {
    for (let seed = 0; seed < 20; seed++) {
      const logits = randomLogits(1000, seed);
      const best = argmax(logits);
      expect(createSampler({ ...PLAIN, temperature: 0 }).next(logits, [])).toBe(best);
      expect(createSampler({ ...PLAIN, temperature: 0.001, topK: 5, topP: 0.5 }).next(logits, [])).toBe(best);
    }
  });

  it('takes the first index when the largest logits tie', () => {
    expect(argmax(Float32Array.from([1, 7, 3, 7]))).toBe(1);
  });

  it('with top-k 1 always picks the greedy token', () => {
    const logits = randomLogits(500, 3);
    expect(new Set(draws({ ...PLAIN, topK: 1 }, logits, 200))).toEqual(new Set([argmax(logits)]));
  });

  it('repeats its draws for the same seed', () => {
    const logits = randomLogits(200, 4);
    const options = { ...PLAIN, temperature: 0.8, topP: 0.95, topK: 50, seed: 1234 };
    const first = draws(options, logits, 50);
    expect(draws(options, logits, 50)).toEqual(first);
    expect(draws({ ...options, seed: 1235 }, logits, 50)).not.toEqual(first);
  });

  it('reports the seed it uses, so a run without one can be repeated', () => {
    const logits = randomLogits(200, 5);
    const sampler = createSampler({ ...PLAIN, seed: undefined });
    const first = Array.from({ length: 20 }, () => sampler.next(logits, []));
    expect(draws({ ...PLAIN, seed: sampler.seed }, logits, 20)).toEqual(first);
  });

  it('draws at temperature 1 with the frequencies of the softmax', () => {
    const logits = Float32Array.from([1, 0, 2, -1, 0.5]);
    const weights = Array.from(logits, Math.exp);
    const total = weights.reduce((a, b) => a + b, 0);
    const n = 40_000;
    const counts = new Array<number>(logits.length).fill(0);
    for (const id of draws(PLAIN, logits, n)) counts[id] = (counts[id] ?? 0) + 1;
    counts.forEach((count, id) => {
      expect(Math.abs(count / n - (weights[id] ?? 0) / total)).toBeLessThan(0.01);
    });
  });

  it('never draws a token that top-p removed', () => {
    const logits = Float32Array.from([3, 2.9, 0, -1, -2]);
    expect(new Set(draws({ ...PLAIN, topP: 0.6 }, logits, 500))).toEqual(new Set([0, 1]));
  });

  it('applies the repetition penalty before choosing, and leaves the caller’s logits alone', () => {
    const logits = Float32Array.from([2, 0.5, 1.5]);
    const sampler = createSampler({ ...PLAIN, temperature: 0, repetitionPenalty: 2 });
    expect(sampler.next(logits, [])).toBe(0);
    expect(sampler.next(logits, [0])).toBe(2);
    expect(Array.from(logits)).toEqual([2, 0.5, 1.5]);
  });

  // A device's argmax may stand in for the sampler only where it would pick the same token.
  it('is argmaxOnly when greedy without a repetition penalty, and not otherwise', () => {
    const base = { topP: 1, topK: 0, repetitionPenalty: 1 };
    expect(createSampler({ ...base, temperature: 0 }).argmaxOnly).toBe(true);
    expect(createSampler({ ...base, temperature: 0, repetitionPenalty: 1.1 }).argmaxOnly).toBe(false);
    expect(createSampler({ ...base, temperature: 0.7 }).argmaxOnly).toBe(false);
  });
});
