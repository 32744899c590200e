/**
 * Seeded pseudo-random numbers (mulberry32): the same seed gives the same draws in Node, a Worker and
 * every browser, which `Math.random` cannot promise.
 */
export type Rng = () => number;

/** Returns a generator of numbers in [0, 1); the seed is taken as a 32-bit integer. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for callers that gave none, so a run can still be repeated when the seed is reported. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}
