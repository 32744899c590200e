import { describe, expect, it } from 'vitest';
import { permuteForHalfRotation, readLlama2cCheckpoint } from '../../src/toolkit/llama2c/checkpoint';
import { loadStories260k } from '../data/stories260k';

/** llama2.c's rotation: adjacent pairs (2i, 2i+1) of each head. */
function rotateAdjacent(x: Float32Array, headDim: number, angle: (i: number) => number): Float32Array {
  const out = x.slice();
  for (let i = 0; i < x.length; i += 2) {
    const a = angle((i % headDim) / 2);
    out[i] = (x[i] ?? 0) * Math.cos(a) - (x[i + 1] ?? 0) * Math.sin(a);
    out[i + 1] = (x[i] ?? 0) * Math.sin(a) + (x[i + 1] ?? 0) * Math.cos(a);
  }
  return out;
}

/** Hugging Face's rotation: element i with element i + headDim/2 of each head. */
function rotateHalves(x: Float32Array, headDim: number, angle: (i: number) => number): Float32Array {
  const out = x.slice();
  const half = headDim / 2;
  for (let h = 0; h < x.length; h += headDim) {
    for (let i = 0; i < half; i++) {
      const a = angle(i);
      const first = x[h + i] ?? 0;
      const second = x[h + i + half] ?? 0;
      out[h + i] = first * Math.cos(a) - second * Math.sin(a);
      out[h + i + half] = first * Math.sin(a) + second * Math.cos(a);
    }
  }
  return out;
}

describe('llama2.c checkpoint', () => {
  it('reads the stories260K header and every tensor of the file', async () => {
    const { checkpoint } = await loadStories260k();
    const model = readLlama2cCheckpoint(checkpoint);
    expect(model.config).toEqual({
      hiddenSize: 64,
      intermediateSize: 172,
      numLayers: 5,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 8,
      vocabSize: 512,
      maxPositions: 512,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
    });
    expect(model.sharedClassifier).toBe(true);
    expect(model.layers[4]?.w3).toHaveLength(172 * 64);
    expect(() => readLlama2cCheckpoint(checkpoint.subarray(0, checkpoint.byteLength / 2))).toThrow(
      /truncated/,
    );
  });

  it('permutes q/k rows so that rotating halves of the projection equals rotating adjacent pairs', () => {
    const heads = 2;
    const headDim = 8;
    const inFeatures = 3;
    const weight = Float32Array.from({ length: heads * headDim * inFeatures }, (_, i) => Math.sin(i * 1.7));
    const x = Float32Array.of(0.5, -1.25, 2);
    const project = (w: Float32Array): Float32Array =>
      Float32Array.from({ length: heads * headDim }, (_, o) =>
        x.reduce((sum, xi, i) => sum + (w[o * inFeatures + i] ?? 0) * xi, 0),
      );
    const angle = (i: number): number => 3 * 10000 ** ((-2 * i) / headDim);
    const llama2c = rotateAdjacent(project(weight), headDim, angle);
    const huggingFace = rotateHalves(project(permuteForHalfRotation(weight, heads, headDim)), headDim, angle);
    // Element 2i of a head lands at i and 2i+1 at i + headDim/2: the same rotated values, reordered the
    // same way for q and k, so every attention score is unchanged.
    const half = headDim / 2;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        expect(huggingFace[h * headDim + i]).toBeCloseTo(llama2c[h * headDim + 2 * i] ?? Number.NaN, 5);
        expect(huggingFace[h * headDim + i + half]).toBeCloseTo(
          llama2c[h * headDim + 2 * i + 1] ?? Number.NaN,
          5,
        );
      }
    }
  });
});
