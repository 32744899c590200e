import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/toolkit/convert/convert';
import { randomProjectorWeights } from '../../src/toolkit/vision/clip-weights';
import {
  randomSiglipVisionWeights,
  type SiglipVisionConfig,
  siglipPatches,
} from '../../src/toolkit/vision/siglip-weights';
import { loadStories260kModel, stories260kFiles } from '../packages/stories260k';
import { referenceProjector } from '../reference/clip';
import { referenceSiglipFeatures } from '../reference/siglip';
import { imageEmbeds } from '../testing/package-sessions';
import { samplePixelValues } from '../vision/sample-images';
import { projectorTensors, siglipTensors, textTensors, writeHfCheckpoint } from './hf-checkpoints';

const SIDE = 32;
const BASE: SiglipVisionConfig = {
  imageSize: SIDE,
  patchSize: 8,
  channels: 3,
  hiddenSize: 48,
  intermediateSize: 96,
  numLayers: 3,
  numHeads: 4,
  layerNormEps: 1e-6,
  featureLayer: -1,
  activation: 'gelu_pytorch_tanh',
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] ?? Number.NaN))));
}

describe('glimpse convert on a LLaVA checkpoint with a SigLIP tower', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-convert-siglip-'));
  let pixels: Float32Array;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    pixels = (await samplePixelValues(SIDE)).subarray(0, 3 * SIDE * SIDE);
  });

  // LLaVA-Interleave's settings (last layer, every patch), then LLaVA-1.5's (layer -2, first row dropped).
  for (const [featureLayer, strategy] of [
    [-1, 'full'],
    [-2, 'default'],
  ] as const) {
    it(`gives the reference features of layer ${featureLayer}, strategy '${strategy}', and projects them`, async () => {
      const vision = randomSiglipVisionWeights({ ...BASE, featureLayer }, 0x5161);
      const { weights: text } = await loadStories260kModel();
      const projector = randomProjectorWeights(BASE.hiddenSize, text.config.hiddenSize, 3, {
        inputRms: 1,
        outputRms: 0.3,
      });
      const checkpoint = join(root, `hf${featureLayer}`);
      const tensors = [
        ...siglipTensors(vision, 'vision_tower.vision_model.', new Float32Array(BASE.hiddenSize).fill(7)),
        ...projectorTensors(projector, 'multi_modal_projector.'),
        ...textTensors(text, 'language_model.model.', 'language_model.lm_head.weight'),
      ];
      const textFiles = await stories260kFiles();
      writeHfCheckpoint(checkpoint, tensors, textFiles, { dtype: 'F32' });
      const config = {
        architectures: ['LlavaForConditionalGeneration'],
        // As original LLaVA configs say it: the copied processor settings must keep the padding.
        image_aspect_ratio: 'pad',
        model_type: 'llava',
        image_token_index: 512,
        projector_hidden_act: 'gelu',
        vision_feature_layer: featureLayer,
        vision_feature_select_strategy: strategy,
        text_config: textFiles.get('config.json') ?? null,
        vision_config: {
          model_type: 'siglip_vision_model',
          hidden_act: 'gelu_pytorch_tanh',
          hidden_size: BASE.hiddenSize,
          intermediate_size: BASE.intermediateSize,
          num_hidden_layers: BASE.numLayers,
          num_attention_heads: BASE.numHeads,
          image_size: SIDE,
          patch_size: BASE.patchSize,
          layer_norm_eps: BASE.layerNormEps,
        },
      };
      writeFileSync(join(checkpoint, 'config.json'), JSON.stringify(config));
      writeFileSync(
        join(checkpoint, 'preprocessor_config.json'),
        JSON.stringify({ size: { height: SIDE, width: SIDE } }),
      );
      const to = join(root, `package${featureLayer}`);
      await convertCheckpoint({ from: checkpoint, to, dtype: 'fp32' });
      expect(JSON.parse(readFileSync(join(to, 'preprocessor_config.json'), 'utf8'))).toEqual({
        do_pad: true,
        size: { height: SIDE, width: SIDE },
      });

      const { features, embeds } = await imageEmbeds(to, '', pixels, SIDE);
      const expected = referenceSiglipFeatures(vision, pixels, strategy);
      expect(features.length).toBe((siglipPatches(BASE) - (strategy === 'full' ? 0 : 1)) * BASE.hiddenSize);
      expect(maxAbsDiff(features, expected)).toBeLessThan(1e-4);
      expect(maxAbsDiff(embeds, referenceProjector(projector, features))).toBeLessThan(1e-5);
    });
  }
});
