import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { floatLinear } from '../../src/toolkit/decoder/llama-graph';
import type { SerializedModel } from '../../src/toolkit/onnx/graph';
import { buildClipVisionEncoder, buildFusedVisionEncoder } from '../../src/toolkit/vision/clip-graph';
import {
  type ClipVisionWeights,
  numPatches,
  type ProjectorWeights,
  randomClipVisionWeights,
  randomProjectorWeights,
  TINY_CLIP_CONFIG,
} from '../../src/toolkit/vision/clip-weights';
import { buildProjector } from '../../src/toolkit/vision/projector-graph';
import { referenceProjector, referenceVisionFeatures } from '../reference/clip';
import { samplePixelValues } from './sample-images';

const SIDE = TINY_CLIP_CONFIG.imageSize;
const PATCHES = numPatches(TINY_CLIP_CONFIG);
const IMAGE_VALUES = 3 * SIDE * SIDE;
const choice = { linear: floatLinear };
/** Float32 graph against a float64 reference, on outputs of size up to about 5. */
const TOLERANCE = 1e-4;

async function run(
  g: SerializedModel,
  name: string,
  tensor: ort.Tensor,
  output: string,
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(g.model);
  const result = (await session.run({ [name]: tensor }))[output];
  if (result === undefined) throw new Error(`no output ${output}`);
  return result;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function floatData(t: ort.Tensor): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`expected float32, got ${t.type}`);
  return t.data;
}

describe('tiny CLIP vision encoder and projector against the TypeScript reference', () => {
  let vision: ClipVisionWeights;
  let projector: ProjectorWeights;
  let pixels: ort.Tensor;
  let expectedFeatures: Float32Array;
  let expectedEmbeds: Float32Array;

  beforeAll(async () => {
    vision = randomClipVisionWeights(TINY_CLIP_CONFIG, 1);
    projector = randomProjectorWeights(64, 64, 2, { inputRms: 1.8, outputRms: 0.31 });
    // A batch of two photographs: batched rows must not mix.
    const values = await samplePixelValues(SIDE);
    pixels = new ort.Tensor('float32', values, [2, 3, SIDE, SIDE]);
    expectedFeatures = new Float32Array(2 * PATCHES * 64);
    for (let i = 0; i < 2; i++) {
      const image = values.subarray(i * IMAGE_VALUES, (i + 1) * IMAGE_VALUES);
      expectedFeatures.set(referenceVisionFeatures(vision, image), i * PATCHES * 64);
    }
    expectedEmbeds = referenceProjector(projector, expectedFeatures);
  });

  it('gives the layer -2 patch features without the CLS token', async () => {
    const features = await run(
      buildClipVisionEncoder(vision, choice),
      'pixel_values',
      pixels,
      'vision_features',
    );
    expect(features.dims).toEqual([2, PATCHES, 64]);
    expect(maxAbsDiff(floatData(features), expectedFeatures)).toBeLessThan(TOLERANCE);
    // The two photographs give clearly different features.
    expect(
      maxAbsDiff(expectedFeatures.subarray(0, PATCHES * 64), expectedFeatures.subarray(PATCHES * 64)),
    ).toBeGreaterThan(1);
  });

  it('projects vision features to image features with mlp2x_gelu', async () => {
    const features = new ort.Tensor('float32', expectedFeatures, [2, PATCHES, 64]);
    const embeds = await run(
      buildProjector(projector, PATCHES, choice),
      'vision_features',
      features,
      'image_features',
    );
    expect(embeds.dims).toEqual([2, PATCHES, 64]);
    expect(maxAbsDiff(floatData(embeds), expectedEmbeds)).toBeLessThan(TOLERANCE);
  });

  it('gives the same image features with the projector fused into the encoder', async () => {
    const fused = buildFusedVisionEncoder(vision, projector, choice);
    const embeds = await run(fused, 'pixel_values', pixels, 'image_features');
    expect(embeds.dims).toEqual([2, PATCHES, 64]);
    expect(maxAbsDiff(floatData(embeds), expectedEmbeds)).toBeLessThan(TOLERANCE);
  });

  it('scales image features to the size of stories260K token embeddings (RMS about 0.31)', () => {
    const rms = Math.sqrt(expectedEmbeds.reduce((sum, v) => sum + v * v, 0) / expectedEmbeds.length);
    expect(rms).toBeGreaterThan(0.2);
    expect(rms).toBeLessThan(0.45);
  });
});
