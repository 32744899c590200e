/**
 * The vision encoder and projector parts of a converted LLaVA package: the CLIP or SigLIP tower read from
 * the checkpoint (only the layers the feature needs), then the mlp2x_gelu projector as its own graph.
 * The tower's weights are held whole while its graph is built (about 1.2 GB in float32 for CLIP ViT-L);
 * the graph builder writes each weight out as it goes.
 */
import type { LinearFn } from '../decoder/llama-graph';
import type { GraphBuilder } from '../onnx/graph';
import { addClipVisionEncoder } from '../vision/clip-graph';
import {
  type ClipLayerWeights,
  type ClipVisionConfig,
  type LayerNormWeights,
  type LinearWeights,
  layersUsed,
  type ProjectorWeights,
} from '../vision/clip-weights';
import { addProjector, IMAGE_FEATURES, VISION_FEATURES } from '../vision/projector-graph';
import { addSiglipVisionEncoder } from '../vision/siglip-graph';
import { type SiglipVisionConfig, siglipPatches } from '../vision/siglip-weights';
import type { TrackedCheckpoint } from './checkpoint-source';
import { ConvertError } from './convert-error';
import type { LlavaSpec } from './hf-config';

type Build = (
  part: 'vision_encoder' | 'projector',
  fill: (g: GraphBuilder) => void,
  docString: string,
) => void;

function firstPrefix(checkpoint: TrackedCheckpoint, probe: string, prefixes: readonly string[]): string {
  const found = prefixes.find((p) => checkpoint.has(p + probe));
  if (found === undefined) {
    throw new ConvertError(`The checkpoint has none of ${prefixes.map((p) => p + probe).join(', ')}.`);
  }
  return found;
}

function tensorReader(checkpoint: TrackedCheckpoint, prefix: string) {
  const norm = (name: string, size: number): LayerNormWeights => ({
    weight: checkpoint.read(`${prefix}${name}.weight`, size),
    bias: checkpoint.read(`${prefix}${name}.bias`, size),
  });
  const linear = (name: string, outFeatures: number, inFeatures: number): LinearWeights => {
    const biasName = `${prefix}${name}.bias`;
    return {
      weight: checkpoint.read(`${prefix}${name}.weight`, outFeatures * inFeatures),
      // Some projectors have no bias (multimodal_projector_bias false): zeros add nothing.
      bias: checkpoint.has(biasName) ? checkpoint.read(biasName, outFeatures) : new Float32Array(outFeatures),
      outFeatures,
      inFeatures,
    };
  };
  const layer = (index: number, config: ClipVisionConfig): ClipLayerWeights => {
    const p = `encoder.layers.${index}.`;
    const { hiddenSize: d, intermediateSize: ff } = config;
    return {
      layerNorm1: norm(`${p}layer_norm1`, d),
      qProj: linear(`${p}self_attn.q_proj`, d, d),
      kProj: linear(`${p}self_attn.k_proj`, d, d),
      vProj: linear(`${p}self_attn.v_proj`, d, d),
      outProj: linear(`${p}self_attn.out_proj`, d, d),
      layerNorm2: norm(`${p}layer_norm2`, d),
      fc1: linear(`${p}mlp.fc1`, ff, d),
      fc2: linear(`${p}mlp.fc2`, d, ff),
    };
  };
  return {
    norm,
    linear,
    layer,
    read: (name: string, length: number) => checkpoint.read(prefix + name, length),
  };
}

export function visionTokens(spec: LlavaSpec): number {
  const { vision, selectStrategy } = spec;
  const clip = vision.modelType === 'clip_vision_model';
  const tokens = clip ? (vision.imageSize / vision.patchSize) ** 2 + 1 : siglipPatches(vision);
  return selectStrategy === 'default' ? tokens - 1 : tokens;
}

export function addVisionParts(
  checkpoint: TrackedCheckpoint,
  spec: LlavaSpec,
  linearFn: LinearFn,
  build: Build,
): void {
  const { vision } = spec;
  const choice = { linear: linearFn };
  const config: ClipVisionConfig = { ...vision, featureLayer: spec.featureLayer };
  const used = layersUsed(config);
  const prefix = firstPrefix(checkpoint, 'embeddings.patch_embedding.weight', [
    'vision_tower.vision_model.',
    'model.vision_tower.vision_model.',
  ]);
  const t = tensorReader(checkpoint, prefix);
  const { hiddenSize: d, channels, patchSize } = vision;
  const tokens = visionTokens(spec);

  build(
    'vision_encoder',
    (g) => {
      const pixels = g.input('pixel_values', 'float32', [
        'batch_size',
        channels,
        vision.imageSize,
        vision.imageSize,
      ]);
      const patchWeights = channels * patchSize * patchSize * d;
      const layers = Array.from({ length: used }, (_, i) => t.layer(i, config));
      let features: string;
      if (vision.modelType === 'clip_vision_model') {
        if (vision.hiddenAct !== 'quick_gelu')
          throw new ConvertError(`CLIP hidden_act '${vision.hiddenAct}' is not supported (only quick_gelu).`);
        const positions = (vision.imageSize / patchSize) ** 2 + 1;
        features = addClipVisionEncoder(
          g,
          pixels,
          {
            config,
            patchEmbedding: t.read('embeddings.patch_embedding.weight', patchWeights),
            classEmbedding: t.read('embeddings.class_embedding', d),
            positionEmbedding: t.read('embeddings.position_embedding.weight', positions * d),
            preLayerNorm: t.norm('pre_layrnorm', d),
            layers,
          },
          choice,
          spec.selectStrategy,
        );
      } else {
        const activation = vision.hiddenAct;
        if (activation !== 'gelu_pytorch_tanh' && activation !== 'gelu')
          throw new ConvertError(`SigLIP hidden_act '${activation}' is not supported.`);
        const siglip: SiglipVisionConfig = { ...config, activation };
        features = addSiglipVisionEncoder(
          g,
          pixels,
          {
            config: siglip,
            patchEmbedding: t.read('embeddings.patch_embedding.weight', patchWeights),
            patchBias: t.read('embeddings.patch_embedding.bias', d),
            positionEmbedding: t.read('embeddings.position_embedding.weight', siglipPatches(vision) * d),
            layers,
          },
          choice,
          spec.selectStrategy,
        );
      }
      g.output(VISION_FEATURES, 'float32', ['batch_size', tokens, d], features);
    },
    `${vision.modelType} encoder: hidden state of layer ${spec.featureLayer}, strategy ${spec.selectStrategy}`,
  );

  build(
    'projector',
    (g) => {
      const p = tensorReader(
        checkpoint,
        firstPrefix(checkpoint, 'linear_1.weight', [
          'multi_modal_projector.',
          'model.multi_modal_projector.',
        ]),
      );
      const textHidden = spec.text.config.hiddenSize;
      const weights: ProjectorWeights = {
        linear1: p.linear('linear_1', textHidden, d),
        linear2: p.linear('linear_2', textHidden, textHidden),
      };
      const input = g.input(VISION_FEATURES, 'float32', ['batch_size', tokens, d]);
      g.output(
        IMAGE_FEATURES,
        'float32',
        ['batch_size', tokens, textHidden],
        addProjector(g, input, weights, choice),
      );
    },
    'mlp2x_gelu projector: Linear, GELU, Linear',
  );
}
