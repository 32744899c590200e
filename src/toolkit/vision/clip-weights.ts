/**
 * The tiny CLIP-style vision tower and mlp2x_gelu projector of the tiny-llava packages: their sizes and
 * seeded random weights. Linear weights are in the Hugging Face layout [out, in], row-major.
 */
import { SeededRandom } from './seeded-random';

export interface ClipVisionConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly layerNormEps: number;
  /** Which hidden state is the feature, counted as Python does (-2: the input of the last layer). */
  readonly featureLayer: number;
}

export const TINY_CLIP_CONFIG: ClipVisionConfig = {
  imageSize: 64,
  patchSize: 8,
  channels: 3,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 3,
  numHeads: 4,
  layerNormEps: 1e-5,
  featureLayer: -2,
};

/** OpenAI CLIP's normalisation constants, which LLaVA-1.5's image processor uses. */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export function numPatches(config: ClipVisionConfig): number {
  return (config.imageSize / config.patchSize) ** 2;
}

/** The number of encoder layers whose output the feature needs (the later ones never run). */
export function layersUsed(config: ClipVisionConfig): number {
  const hiddenStates = config.numLayers + 1;
  const index = config.featureLayer < 0 ? hiddenStates + config.featureLayer : config.featureLayer;
  if (index < 0 || index >= hiddenStates)
    throw new Error(`vision feature layer ${config.featureLayer} is out of range`);
  return index;
}

export interface LayerNormWeights {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export interface LinearWeights {
  /** [out, in] */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly outFeatures: number;
  readonly inFeatures: number;
}

export interface ClipLayerWeights {
  readonly layerNorm1: LayerNormWeights;
  readonly qProj: LinearWeights;
  readonly kProj: LinearWeights;
  readonly vProj: LinearWeights;
  readonly outProj: LinearWeights;
  readonly layerNorm2: LayerNormWeights;
  readonly fc1: LinearWeights;
  readonly fc2: LinearWeights;
}

export interface ClipVisionWeights {
  readonly config: ClipVisionConfig;
  /** [hidden, channels, patch, patch], no bias */
  readonly patchEmbedding: Float32Array;
  /** [hidden] */
  readonly classEmbedding: Float32Array;
  /** [patches + 1, hidden] */
  readonly positionEmbedding: Float32Array;
  readonly preLayerNorm: LayerNormWeights;
  readonly layers: readonly ClipLayerWeights[];
}

/** mlp2x_gelu: linear1 (vision hidden → text hidden), exact GELU, linear2 (text hidden → text hidden). */
export interface ProjectorWeights {
  readonly linear1: LinearWeights;
  readonly linear2: LinearWeights;
}

function layerNorm(random: SeededRandom, size: number): LayerNormWeights {
  return { weight: random.normals(size, 0.1, 1), bias: random.normals(size, 0.02) };
}

/** Weights with std gain/sqrt(in), which keeps each output O(gain) for inputs of unit size. */
function linear(random: SeededRandom, outFeatures: number, inFeatures: number, gain = 1): LinearWeights {
  return {
    weight: random.normals(outFeatures * inFeatures, gain / Math.sqrt(inFeatures)),
    bias: random.normals(outFeatures, 0.02),
    outFeatures,
    inFeatures,
  };
}

export function randomClipVisionWeights(config: ClipVisionConfig, seed: number): ClipVisionWeights {
  const random = new SeededRandom(seed);
  const { hiddenSize: d, intermediateSize: ff, channels, patchSize } = config;
  const patchInputs = channels * patchSize * patchSize;
  return {
    config,
    patchEmbedding: random.normals(d * patchInputs, 1 / Math.sqrt(patchInputs)),
    classEmbedding: random.normals(d, 1),
    positionEmbedding: random.normals((numPatches(config) + 1) * d, 0.5),
    preLayerNorm: layerNorm(random, d),
    layers: Array.from({ length: config.numLayers }, () => ({
      layerNorm1: layerNorm(random, d),
      // A gain above 1 on q and k makes attention visibly non-uniform, as in a trained encoder.
      qProj: linear(random, d, d, 2),
      kProj: linear(random, d, d, 2),
      vProj: linear(random, d, d),
      outProj: linear(random, d, d),
      layerNorm2: layerNorm(random, d),
      fc1: linear(random, ff, d),
      fc2: linear(random, d, ff),
    })),
  };
}

export interface ProjectorScale {
  /** RMS of the vision features it reads (the tiny tower's are about 1.8). */
  readonly inputRms: number;
  /**
   * RMS of the image embeddings it writes: the language model reads them in place of token embeddings,
   * so they should be about as large as those (stories260K's have an RMS of about 0.31).
   */
  readonly outputRms: number;
}

export function randomProjectorWeights(
  visionHidden: number,
  textHidden: number,
  seed: number,
  scale: ProjectorScale,
): ProjectorWeights {
  const random = new SeededRandom(seed);
  return {
    // Unit-sized pre-activations, so GELU is neither linear nor dead.
    linear1: linear(random, textHidden, visionHidden, 1 / scale.inputRms),
    // GELU of a unit normal has an RMS of about 0.65; the second linear rescales that to outputRms.
    linear2: linear(random, textHidden, textHidden, scale.outputRms / 0.65),
  };
}
