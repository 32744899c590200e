import { describe, expect, it } from 'vitest';
import { kthLargest, repetitionPenalty, topK, topP } from './logits-processors';
import { createRng } from './rng';

function randomLogits(size: number, seed: number, spread = 8): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => (rng() - 0.5) * spread);
}

function softmax(logits: Float32Array): number[] {
  const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
  const weights = Array.from(logits, (l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** The nucleus as the definition says it: sort everything, take the shortest prefix with mass ≥ p. */
function nucleusBySorting(logits: Float32Array, p: number): Set<number> {
  const probs = softmax(logits);
  const order = probs.map((_, i) => i).sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0));
  const kept = new Set<number>();
  let mass = 0;
  for (const id of order) {
    if (kept.size > 0 && mass >= p) break;
    kept.add(id);
    mass += probs[id] ?? 0;
  }
  return kept;
}

function keptIds(logits: Float32Array): Set<number> {
  const kept = new Set<number>();
  logits.forEach((value, id) => {
    if (value !== -Infinity) kept.add(id);
  });
  return kept;
}

describe('topP', () => {
  it('keeps the smallest set of most probable tokens whose mass reaches p', () => {
    const logits = Float32Array.from([0.1, 0.5, 0.05, 0.2, 0.15], Math.log);
    topP(0.6)(logits, []);
    expect(keptIds(logits)).toEqual(new Set([1, 3]));
  });

  it('matches a full sort on random logits, for several p', () => {
    for (const [seed, p] of [
      [1, 0.1],
      [2, 0.5],
      [3, 0.9],
      [4, 0.99],
    ] as const) {
      const logits = randomLogits(5000, seed);
      const expected = nucleusBySorting(logits, p);
      topP(p)(logits, []);
      expect(keptIds(logits)).toEqual(expected);
    }
  });

  it('keeps a nucleus of most of a flat 152 000-token vocabulary', () => {
    const logits = new Float32Array(152_000);
    logits[0] = 0.5;
    topP(0.9)(logits, []);
    const kept = keptIds(logits);
    const probs = softmax(Float32Array.from({ length: 152_000 }, (_, i) => (i === 0 ? 0.5 : 0)));
    const mass = [...kept].reduce((sum, id) => sum + (probs[id] ?? 0), 0);
    expect(kept.has(0)).toBe(true);
    expect(mass).toBeGreaterThanOrEqual(0.9);
    expect(mass - (probs[1] ?? 0)).toBeLessThan(0.9);
  });

  it('always keeps at least the most probable token', () => {
    const logits = Float32Array.from([1, 3, 2]);
    topP(0)(logits, []);
    expect(keptIds(logits)).toEqual(new Set([1]));
  });

  it('leaves the logits of kept tokens unchanged', () => {
    const logits = randomLogits(100, 9);
    const before = Float32Array.from(logits);
    topP(0.8)(logits, []);
    for (const id of keptIds(logits)) expect(logits[id]).toBe(before[id]);
  });
});

describe('topK', () => {
  it('keeps exactly the k largest logits', () => {
    const logits = randomLogits(10_000, 5);
    const expected = new Set(
      Array.from(logits.keys())
        .sort((a, b) => (logits[b] ?? 0) - (logits[a] ?? 0))
        .slice(0, 40),
    );
    topK(40)(logits, []);
    expect(keptIds(logits)).toEqual(expected);
  });

  it('finds the k-th largest value', () => {
    expect(kthLargest(Float32Array.from([5, 1, 4, 2, 3]), 1)).toBe(5);
    expect(kthLargest(Float32Array.from([5, 1, 4, 2, 3]), 3)).toBe(3);
    expect(kthLargest(Float32Array.from([5, 1, 4, 2, 3]), 5)).toBe(1);
  });
});

describe('repetitionPenalty', () => {
  it('makes earlier tokens less likely: divides positive logits, multiplies negative ones', () => {
    const logits = Float32Array.from([2, -2, 1, 3]);
    repetitionPenalty(2)(logits, [0, 1, 1]);
    expect(Array.from(logits)).toEqual([1, -4, 1, 3]);
  });
});
