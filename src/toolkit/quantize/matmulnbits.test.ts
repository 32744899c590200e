import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph';
import { SeededRandom } from '../vision/seeded-random';
import { BLOCK_SIZE, dequantizeQ4, q4Linear, quantizeQ4 } from './matmulnbits';

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
  it('restores the largest magnitude of a block exactly and every other value within one step', () => {
    const k = 40;
    const weight = new SeededRandom(3).normals(2 * k, 0.5);
    const q = quantizeQ4(weight, 2, k);
    expect(q.kBlocks).toBe(2);
    expect(q.packed.length).toBe(2 * 2 * (BLOCK_SIZE / 2));
    const restored = dequantizeQ4(q);
    for (let row = 0; row < 2; row++) {
      for (let b = 0; b < 2; b++) {
        const scale = q.scales[row * 2 + b] ?? 0;
        const block = weight.subarray(row * k + b * BLOCK_SIZE, row * k + Math.min((b + 1) * BLOCK_SIZE, k));
        const extreme = block.reduce((m, w) => (Math.abs(w) > Math.abs(m) ? w : m), 0);
        expect(scale).toBeCloseTo(-extreme / 8, 6);
        const restoredBlock = restored.subarray(
          row * k + b * BLOCK_SIZE,
          row * k + b * BLOCK_SIZE + block.length,
        );
        const extremeAt = block.indexOf(extreme);
        expect(restoredBlock[extremeAt]).toBeCloseTo(extreme, 6);
        // Rounding costs half a step; only -extreme, which would need nibble 16, clamps to 15.
        const clamped = block.map((w, i) =>
          Math.abs(w + extreme) < Math.abs(scale) / 2 ? 0 : w - (restoredBlock[i] ?? 0),
        );
        expect(maxAbsDiff(clamped, new Float32Array(block.length))).toBeLessThanOrEqual(
          Math.abs(scale) / 2 + 1e-7,
        );
        expect(maxAbsDiff(block, restoredBlock)).toBeLessThanOrEqual(Math.abs(scale) + 1e-7);
      }
    }
  });

  it('pads a partial last block with the zero point', () => {
    const q = quantizeQ4(new Float32Array(40).fill(1), 1, 40);
    // Bytes 4..15 of block 1 hold columns 40..63, which do not exist: both nibbles are 8.
    expect([...q.packed.subarray(16 + 4, 32)]).toEqual(new Array(12).fill(0x88));
  });

  it('quantises an all-zero block to zeros', () => {
    const q = quantizeQ4(new Float32Array(32), 1, 32);
    expect([...dequantizeQ4(q)]).toEqual(new Array(32).fill(0));
  });
});

describe('q4Linear', () => {
  it('runs in onnxruntime-web wasm as the dequantised weight times the input, for K not a multiple of 32', async () => {
    // Stories260K's MLP down-projection reads 172 features: 5 full blocks and a padded one.
    const [rows, n, k] = [5, 24, 172];
    const random = new SeededRandom(11);
    const weight = random.normals(n * k, 0.1);
    const x = random.normals(rows * k, 1);
    const g = new GraphBuilder('q4_linear');
    g.output(
      'y',
      'float32',
      [rows, n],
      q4Linear(g, g.input('x', 'float32', [rows, k]), weight, n, k, 'linear'),
    );
    const session = await ort.InferenceSession.create(g.serialize().model);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [rows, k]) });
    const expected = matmulTransposed(x, dequantizeQ4(quantizeQ4(weight, n, k)), rows, n, k);
    // Float32 accumulation over 172 products of size ~0.3: a few ulps of outputs of size ~3.
    expect(maxAbsDiff(y?.data as Float32Array, expected)).toBeLessThan(1e-5);
    // The quantisation itself is visible: the float weight gives a clearly different result.
    expect(maxAbsDiff(matmulTransposed(x, weight, rows, n, k), expected)).toBeGreaterThan(1e-2);
  });
});
