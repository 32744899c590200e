/** SigLIP vision towers: their settings and seeded random weights (Hugging Face layout, Linear [out, in]). */
import type { VisionActivation } from './clip-graph';
import type { ClipLayerWeights, ClipVisionConfig, LayerNormWeights, LinearWeights } from './clip-weights';
import { SeededRandom } from './seeded-random';

export interface SiglipVisionConfig extends ClipVisionConfig {
  readonly activation: VisionActivation;
}

export interface SiglipVisionWeights {
  readonly config: SiglipVisionConfig;
  /** [hidden, channels, patch, patch] */
  readonly patchEmbedding: Float32Array;
  /** [hidden] */
  readonly patchBias: Float32Array;
  /** [patches, hidden] */
  readonly positionEmbedding: Float32Array;
  /** The post-LayerNorm is left out: only last_hidden_state has it, and LLaVA reads hidden_states[k]. */
  readonly layers: readonly ClipLayerWeights[];
}

export function siglipPatches(config: Pick<ClipVisionConfig, 'imageSize' | 'patchSize'>): number {
  return Math.floor(config.imageSize / config.patchSize) ** 2;
}

export function randomSiglipVisionWeights(config: SiglipVisionConfig, seed: number): SiglipVisionWeights {
  const random = new SeededRandom(seed);
  const { hiddenSize: d, intermediateSize: ff, channels, patchSize } = config;
  const norm = (): LayerNormWeights => ({ weight: random.normals(d, 0.1, 1), bias: random.normals(d, 0.02) });
  const linear = (outFeatures: number, inFeatures: number, gain = 1): LinearWeights => ({
    weight: random.normals(outFeatures * inFeatures, gain / Math.sqrt(inFeatures)),
    bias: random.normals(outFeatures, 0.02),
    outFeatures,
    inFeatures,
  });
  const patchInputs = channels * patchSize * patchSize;
  return {
    config,
    patchEmbedding: random.normals(d * patchInputs, 1 / Math.sqrt(patchInputs)),
    patchBias: random.normals(d, 0.1),
    positionEmbedding: random.normals(siglipPatches(config) * d, 0.5),
    layers: Array.from({ length: config.numLayers }, () => ({
      layerNorm1: norm(),
      qProj: linear(d, d, 2),
      kProj: linear(d, d, 2),
      vProj: linear(d, d),
      outProj: linear(d, d),
      layerNorm2: norm(),
      fc1: linear(ff, d),
      fc2: linear(d, ff),
    })),
  };
}
