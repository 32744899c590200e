import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph';
import { SeededRandom } from '../vision/seeded-random';
import { linearOf, PACKAGE_DTYPES } from './linears';

ort.env.wasm.numThreads = 1;

const OUT = 48;
const IN = 64;

async function run(dtype: (typeof PACKAGE_DTYPES)[number], weight: Float32Array, x: Float32Array) {
  const g = new GraphBuilder('linear');
  const input = g.input('x', 'float32', [2, IN]);
  g.output('y', 'float32', [2, OUT], linearOf(dtype)(g, input, weight, OUT, IN, 'proj'));
  const session = await ort.InferenceSession.create(g.serialize().model, { executionProviders: ['wasm'] });
  const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, IN]) });
  await session.release();
  if (!(y?.data instanceof Float32Array)) throw new Error('no float32 output');
  return y.data;
}

describe('linear layers per package dtype', () => {
  it('compute x·Wᵀ on float32 inputs within each format’s precision', async () => {
    const random = new SeededRandom(7);
    const weight = random.normals(OUT * IN, 1 / Math.sqrt(IN));
    const x = random.normals(2 * IN, 1);
    const expected = new Float32Array(2 * OUT);
    for (let r = 0; r < 2; r++)
      for (let o = 0; o < OUT; o++) {
        let sum = 0;
        for (let i = 0; i < IN; i++) sum += (x[r * IN + i] ?? 0) * (weight[o * IN + i] ?? 0);
        expected[r * OUT + o] = sum;
      }
    // Outputs are O(1); q4 runs with accuracy level 4, which also rounds the activations to int8, and
    // quantized rounds activations (per tensor) and weights (per channel) to 8 bits.
    const tolerance = { fp32: 1e-5, fp16: 1e-2, q4: 0.4, q4f16: 0.4, quantized: 0.1, int8: 0.1 };
    for (const dtype of PACKAGE_DTYPES) {
      const y = await run(dtype, weight, x);
      const maxError = Math.max(...y.map((v, i) => Math.abs(v - (expected[i] ?? 0))));
      expect(maxError, dtype).toBeLessThan(tolerance[dtype]);
    }
  });
});
