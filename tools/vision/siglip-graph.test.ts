import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { floatLinear } from '../../src/toolkit/decoder/llama-graph';
import { q4Linear } from '../../src/toolkit/quantize/matmulnbits';
import { buildSiglipVisionEncoder } from '../../src/toolkit/vision/siglip-graph';
import { randomSiglipVisionWeights, type SiglipVisionConfig } from '../../src/toolkit/vision/siglip-weights';
import { referenceSiglipFeatures } from '../reference/siglip';
import { samplePixelValues } from './sample-images';

ort.env.wasm.numThreads = 1;

const CONFIG: SiglipVisionConfig = {
  imageSize: 48,
  patchSize: 12,
  channels: 3,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  layerNormEps: 1e-6,
  featureLayer: -1,
  activation: 'gelu_pytorch_tanh',
};

async function features(model: Uint8Array, pixels: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const { vision_features } = await session.run({
    pixel_values: new ort.Tensor('float32', pixels, [1, 3, 48, 48]),
  });
  await session.release();
  if (!(vision_features?.data instanceof Float32Array)) throw new Error('no vision_features');
  return vision_features.data;
}

describe('SigLIP vision encoder graph', () => {
  it('computes the reference hidden state of every patch, in float32 and close to it in q4', async () => {
    const weights = randomSiglipVisionWeights(CONFIG, 21);
    const pixels = (await samplePixelValues(48)).subarray(0, 3 * 48 * 48);
    const expected = referenceSiglipFeatures(weights, pixels, 'full');
    expect(expected.length).toBe(16 * 64);
    const float = await features(
      buildSiglipVisionEncoder(weights, { linear: floatLinear }, 'full').model,
      pixels,
    );
    expect(Math.max(...float.map((v, i) => Math.abs(v - (expected[i] ?? Number.NaN))))).toBeLessThan(1e-4);
    const q4 = await features(
      buildSiglipVisionEncoder(weights, { linear: q4Linear() }, 'full').model,
      pixels,
    );
    let dot = 0;
    let qq = 0;
    let ee = 0;
    q4.forEach((v, i) => {
      const e = expected[i] ?? 0;
      dot += v * e;
      qq += v * v;
      ee += e * e;
    });
    expect(dot / Math.sqrt(qq * ee)).toBeGreaterThan(0.97); // (0.975 when written)
  });
});
