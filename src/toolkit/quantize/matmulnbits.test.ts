import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph';
import { SeededRandom } from '../vision/seeded-random';
import {
  DEFAULT_Q4_BLOCK_SIZE,
  dequantizeQ4,
  Q4_BLOCK_SIZES,
  type Q4BlockSize,
  q4Linear,
  quantizeQ4,
} from './matmulnbits';

function matmulTransposed(
  x: Float32Array,
  w: Float32Array,
  rows: number,
  n: number,
  k: number,
): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < n; o++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += (x[r * k + i] ?? 0) * (w[o * k + i] ?? 0);
      y[r * n + o] = sum;
    }
  }
  return y;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('quantizeQ4', () => {
  it('spans each block from its least to its largest value in 15 steps, every value within half a step', () => {
    const k = 40;
    const weight = new SeededRandom(3).normals(2 * k, 0.5);
    const q = quantizeQ4(weight, 2, k);
    expect(q.kBlocks).toBe(2);
    expect(q.packed.length).toBe(2 * 2 * (DEFAULT_Q4_BLOCK_SIZE / 2));
    expect(q.zeroPoints.length).toBe(2);
    const restored = dequantizeQ4(q);
    for (let row = 0; row < 2; row++) {
      for (let b = 0; b < 2; b++) {
        const scale = q.scales[row * 2 + b] ?? 0;
        const from = row * k + b * DEFAULT_Q4_BLOCK_SIZE;
        const block = weight.subarray(from, row * k + Math.min((b + 1) * DEFAULT_Q4_BLOCK_SIZE, k));
        // The padding of the partial block counts as zeros, which widen its range to hold 0.
        const lo = Math.min(0, ...block);
        const hi = Math.max(0, ...block);
        expect(scale).toBeCloseTo((hi - lo) / 15, 6);
        const restoredBlock = restored.subarray(from, from + block.length);
        // Rounding the zero point moves the top of the range by up to half a step; only a value there can
        // need nibble 16 and clamp, by at most one step.
        const errors = block.map((w, i) => Math.abs(w - (restoredBlock[i] ?? 0)));
        const clamped = errors.filter((e) => e > scale / 2 + 1e-7);
        expect(clamped.length).toBeLessThanOrEqual(1);
        for (const e of clamped) expect(e).toBeLessThanOrEqual(scale + 1e-7);
      }
    }
  });

  it('uses the whole range on a block of one sign, where a symmetric scale would idle half of it', () => {
    const weight = Float32Array.from({ length: 32 }, (_, i) => 0.01 * i);
    const q = quantizeQ4(weight, 1, 32);
    expect(q.zeroPoints[0]).toBe(0);
    expect(q.scales[0]).toBeCloseTo(0.31 / 15, 7);
    const restored = dequantizeQ4(q);
    const worst = Math.max(...weight.map((w, i) => Math.abs(w - (restored[i] ?? 0))));
    expect(worst).toBeLessThanOrEqual(0.31 / 30 + 1e-7);
  });

  it('keeps zero exact: the padding of a partial last block is its zero point', () => {
    const weight = new SeededRandom(5).normals(40, 1);
    const q = quantizeQ4(weight, 1, 40);
    const zeroOfBlock1 = (q.zeroPoints[0] ?? 0) >> 4;
    // Bytes 4..15 of block 1 hold columns 40..63, which do not exist: both nibbles are the zero point.
    expect([...q.packed.subarray(16 + 4, 32)]).toEqual(new Array(12).fill(zeroOfBlock1 * 17));
  });

  it('quantises an all-zero block to zeros', () => {
    const q = quantizeQ4(new Float32Array(32), 1, 32);
    expect([...dequantizeQ4(q)]).toEqual(new Array(32).fill(0));
  });

  it('comes closer to the float weight with smaller blocks', () => {
    const [n, k] = [16, 256];
    const weight = new SeededRandom(9).normals(n * k, 0.1);
    const rms = (blockSize: Q4BlockSize) => {
      const restored = dequantizeQ4(quantizeQ4(weight, n, k, blockSize));
      return Math.sqrt(weight.reduce((sum, w, i) => sum + (w - (restored[i] ?? 0)) ** 2, 0) / weight.length);
    };
    const errors = Q4_BLOCK_SIZES.map(rms);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeGreaterThan(errors[i - 1] ?? 0);
  });
});

describe('q4Linear', () => {
  it.each(Q4_BLOCK_SIZES)(
    'runs in onnxruntime-web wasm as the dequantised weight times the input, in blocks of %i that K does not fill',
    async (blockSize) => {
      // Stories260K's MLP down-projection reads 172 features: a padded last block at every size, and an
      // odd number of blocks (zero points half-filling their last byte) at 16 and 64.
      const [rows, n, k] = [5, 24, 172];
      const random = new SeededRandom(11);
      const weight = random.normals(n * k, 0.1);
      const x = random.normals(rows * k, 1);
      const g = new GraphBuilder('q4_linear');
      g.output(
        'y',
        'float32',
        [rows, n],
        q4Linear(blockSize)(g, g.input('x', 'float32', [rows, k]), weight, n, k, 'linear'),
      );
      const session = await ort.InferenceSession.create(g.serialize().model);
      const { y } = await session.run({ x: new ort.Tensor('float32', x, [rows, k]) });
      const q = quantizeQ4(weight, n, k, blockSize);
      const expected = matmulTransposed(x, dequantizeQ4(q), rows, n, k);
      // Float32 accumulation over 172 products of size ~0.3: a few ulps of outputs of size ~3.
      expect(maxAbsDiff(y?.data as Float32Array, expected)).toBeLessThan(1e-5);
      // The quantisation itself is visible: the float weight gives a clearly different result.
      expect(maxAbsDiff(matmulTransposed(x, weight, rows, n, k), expected)).toBeGreaterThan(1e-3);
    },
  );
});
