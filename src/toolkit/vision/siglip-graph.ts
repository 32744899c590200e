/**
 * A SigLIP vision tower as ONNX (the tower of LLaVA-Interleave and LLaVA-OneVision): a biased conv patch
 * embedding plus position embeddings, no class token and no pre-LayerNorm, then the same pre-norm encoder
 * layers as CLIP with the tanh-approximated GELU. The feature is a hidden state of the encoder as
 * transformers' LLaVA takes it (`hidden_states[vision_feature_layer]`), so the post-LayerNorm, which only
 * last_hidden_state has, never enters.
 */
import { GraphBuilder, type SerializedModel } from '../onnx/graph';
import { addEncoderLayer, type SelectStrategy, selectFeatures } from './clip-graph';
import { layersUsed } from './clip-weights';
import type { LinearChoice } from './linear';
import { VISION_FEATURES } from './projector-graph';
import { type SiglipVisionWeights, siglipPatches } from './siglip-weights';

/** pixel values [B, C, S, S] → features [B, tokens, hidden] of the configured layer and strategy. */
export function addSiglipVisionEncoder(
  g: GraphBuilder,
  pixelValues: string,
  weights: SiglipVisionWeights,
  choice: LinearChoice,
  strategy: SelectStrategy,
): string {
  const { config } = weights;
  const { hiddenSize, channels, patchSize } = config;
  const e = 'vision_model.embeddings';
  const patches = siglipPatches(config);
  const conv = g.op(
    'Conv',
    [
      pixelValues,
      g.initializer(
        `${e}.patch_embedding.weight`,
        'float32',
        [hiddenSize, channels, patchSize, patchSize],
        weights.patchEmbedding,
      ),
      g.initializer(`${e}.patch_embedding.bias`, 'float32', [hiddenSize], weights.patchBias),
    ],
    { kernel_shape: [patchSize, patchSize], strides: [patchSize, patchSize] },
    { name: `${e}.patch_embedding` },
  );
  const flat = g.op('Reshape', [conv, g.int64(`${e}.flatten_shape`, [0, hiddenSize, -1])]);
  const tokens = g.op('Transpose', [flat], { perm: [0, 2, 1] });
  const positions = g.initializer(
    `${e}.position_embedding.weight`,
    'float32',
    [1, patches, hiddenSize],
    weights.positionEmbedding,
  );
  let hidden = g.op('Add', [tokens, positions]);
  weights.layers.slice(0, layersUsed(config)).forEach((layer, i) => {
    hidden = addEncoderLayer(g, hidden, layer, config, i, choice, config.activation);
  });
  return selectFeatures(g, hidden, patches, strategy);
}

/** pixel_values → vision_features: the SigLIP tower alone. */
export function buildSiglipVisionEncoder(
  weights: SiglipVisionWeights,
  choice: LinearChoice,
  strategy: SelectStrategy,
): SerializedModel {
  const g = new GraphBuilder('vision_encoder');
  const { channels, imageSize, hiddenSize } = weights.config;
  const pixels = g.input('pixel_values', 'float32', ['batch_size', channels, imageSize, imageSize]);
  const tokens = siglipPatches(weights.config) - (strategy === 'default' ? 1 : 0);
  g.output(
    VISION_FEATURES,
    'float32',
    ['batch_size', tokens, hiddenSize],
    addSiglipVisionEncoder(g, pixels, weights, choice, strategy),
  );
  return g.serialize({ docString: 'SigLIP vision encoder: hidden state of the feature layer' });
}
