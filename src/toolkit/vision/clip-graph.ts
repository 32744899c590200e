/**
 * The tiny-llava vision tower as ONNX: a CLIP-style ViT whose output is the hidden state of the configured
 * layer (LLaVA-1.5: -2) without the CLS token, alone or with the projector fused in (the layout of
 * llava-hf / transformers.js exports). Only plain ONNX ops that both onnxruntime-web backends run, except
 * the linears, which the caller chooses (float MatMul or q4).
 */
import { type Dim, float, GraphBuilder, type SerializedModel } from '../onnx/graph';
import {
  type ClipLayerWeights,
  type ClipVisionConfig,
  type ClipVisionWeights,
  type LayerNormWeights,
  layersUsed,
  numPatches,
  type ProjectorWeights,
} from './clip-weights';
import { type LinearChoice, linearWithBias } from './linear';
import { addProjector, IMAGE_FEATURES, VISION_FEATURES } from './projector-graph';

export const PIXEL_VALUES = 'pixel_values';
const BATCH = 'batch_size';

export function layerNorm(
  g: GraphBuilder,
  x: string,
  w: LayerNormWeights,
  eps: number,
  name: string,
): string {
  const scale = g.float32(`${name}.weight`, w.weight);
  const bias = g.float32(`${name}.bias`, w.bias);
  return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: float(eps) }, { name });
}

/** [B, S, heads·headDim] → [B, heads, S, headDim] */
function splitHeads(g: GraphBuilder, x: string, heads: number, headDim: number, name: string): string {
  const shaped = g.op(
    'Reshape',
    [x, g.int64(`${name}.shape`, [0, 0, heads, headDim])],
    {},
    { name: `${name}.reshape` },
  );
  return g.op('Transpose', [shaped], { perm: [0, 2, 1, 3] }, { name: `${name}.transpose` });
}

/** The MLP activations of CLIP (quick_gelu), SigLIP (gelu_pytorch_tanh) and exact GELU. */
export type VisionActivation = 'quick_gelu' | 'gelu_pytorch_tanh' | 'gelu';

/** 'default' drops the first token (CLIP's CLS), 'full' keeps every token: LLaVA's select strategies. */
export type SelectStrategy = 'default' | 'full';

function activate(g: GraphBuilder, x: string, activation: VisionActivation, p: string): string {
  const c = (name: string, value: number): string => g.float32(`${p}.mlp.${name}`, [value], []);
  if (activation === 'quick_gelu') {
    // x · sigmoid(1.702 x)
    return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, c('quick_gelu_factor', 1.702)])])]);
  }
  const half = g.op('Mul', [x, c('half', 0.5)]);
  if (activation === 'gelu') {
    const erf = g.op('Erf', [g.op('Mul', [x, c('inv_sqrt2', Math.SQRT1_2)])]);
    return g.op('Mul', [half, g.op('Add', [erf, c('one', 1)])]);
  }
  // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Add', [x, g.op('Mul', [cube, c('gelu_cubic', 0.044715)])]);
  const tanh = g.op('Tanh', [g.op('Mul', [inner, c('gelu_scale', Math.sqrt(2 / Math.PI))])]);
  return g.op('Mul', [half, g.op('Add', [tanh, c('one', 1)])]);
}

/** One pre-norm ViT encoder layer, shared by the CLIP and SigLIP towers. */
export function addEncoderLayer(
  g: GraphBuilder,
  x: string,
  w: ClipLayerWeights,
  config: Pick<ClipVisionConfig, 'hiddenSize' | 'numHeads' | 'layerNormEps'>,
  index: number,
  choice: LinearChoice,
  activation: VisionActivation = 'quick_gelu',
): string {
  const { hiddenSize, numHeads, layerNormEps } = config;
  const headDim = hiddenSize / numHeads;
  const p = `vision_model.encoder.layers.${index}`;

  const normed = layerNorm(g, x, w.layerNorm1, layerNormEps, `${p}.layer_norm1`);
  const q = linearWithBias(g, normed, w.qProj, `${p}.self_attn.q_proj`, choice);
  const qScaled = g.op('Mul', [q, g.float32(`${p}.self_attn.scale`, [1 / Math.sqrt(headDim)], [])]);
  const k = linearWithBias(g, normed, w.kProj, `${p}.self_attn.k_proj`, choice);
  const v = linearWithBias(g, normed, w.vProj, `${p}.self_attn.v_proj`, choice);
  const qh = splitHeads(g, qScaled, numHeads, headDim, `${p}.self_attn.q_heads`);
  const kh = splitHeads(g, k, numHeads, headDim, `${p}.self_attn.k_heads`);
  const vh = splitHeads(g, v, numHeads, headDim, `${p}.self_attn.v_heads`);
  const kt = g.op('Transpose', [kh], { perm: [0, 1, 3, 2] });
  const probs = g.op('Softmax', [g.op('MatMul', [qh, kt])], { axis: -1 });
  const context = g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
  const merged = g.op('Reshape', [context, g.int64(`${p}.self_attn.merge_shape`, [0, 0, hiddenSize])]);
  const attended = g.op('Add', [x, linearWithBias(g, merged, w.outProj, `${p}.self_attn.out_proj`, choice)]);

  const normed2 = layerNorm(g, attended, w.layerNorm2, layerNormEps, `${p}.layer_norm2`);
  const up = linearWithBias(g, normed2, w.fc1, `${p}.mlp.fc1`, choice);
  const activated = activate(g, up, activation, p);
  return g.op('Add', [attended, linearWithBias(g, activated, w.fc2, `${p}.mlp.fc2`, choice)]);
}

/** Adds the vision tower to `g`: pixel values [B, C, S, S] → patch features [B, patches, hidden]. */
export function addClipVisionEncoder(
  g: GraphBuilder,
  pixelValues: string,
  weights: ClipVisionWeights,
  choice: LinearChoice,
  strategy: SelectStrategy = 'default',
): string {
  const { hiddenSize, channels, patchSize } = weights.config;
  const positions = numPatches(weights.config) + 1;
  const e = 'vision_model.embeddings';

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
    ],
    { kernel_shape: [patchSize, patchSize], strides: [patchSize, patchSize] },
    { name: `${e}.patch_embedding` },
  );
  const flat = g.op('Reshape', [conv, g.int64(`${e}.flatten_shape`, [0, hiddenSize, -1])]);
  const patches = g.op('Transpose', [flat], { perm: [0, 2, 1] });

  const batch = g.op('Shape', [pixelValues], { start: 0, end: 1 });
  const classShape = g.op('Concat', [batch, g.int64(`${e}.class_tail`, [1, hiddenSize])], { axis: 0 });
  const classEmbedding = g.initializer(
    `${e}.class_embedding`,
    'float32',
    [1, 1, hiddenSize],
    weights.classEmbedding,
  );
  const classTokens = g.op('Expand', [classEmbedding, classShape]);
  const tokens = g.op('Concat', [classTokens, patches], { axis: 1 });
  const positionEmbedding = g.initializer(
    `${e}.position_embedding.weight`,
    'float32',
    [1, positions, hiddenSize],
    weights.positionEmbedding,
  );
  const embedded = g.op('Add', [tokens, positionEmbedding]);

  let hidden = layerNorm(
    g,
    embedded,
    weights.preLayerNorm,
    weights.config.layerNormEps,
    'vision_model.pre_layrnorm',
  );
  const used = layersUsed(weights.config);
  weights.layers.slice(0, used).forEach((layer, i) => {
    hidden = addEncoderLayer(g, hidden, layer, weights.config, i, choice);
  });
  return selectFeatures(g, hidden, positions, strategy);
}

/** Strategy 'default' drops the first token (the CLS token of CLIP), 'full' keeps all `tokens`. */
export function selectFeatures(
  g: GraphBuilder,
  hidden: string,
  tokens: number,
  strategy: SelectStrategy,
): string {
  if (strategy === 'full') return hidden;
  return g.op('Slice', [
    hidden,
    g.int64('feature.start', [1]),
    g.int64('feature.end', [tokens]),
    g.int64('feature.axis', [1]),
  ]);
}

function pixelInput(g: GraphBuilder, weights: ClipVisionWeights): string {
  const { channels, imageSize } = weights.config;
  return g.input(PIXEL_VALUES, 'float32', [BATCH, channels, imageSize, imageSize]);
}

function featureShape(weights: ClipVisionWeights, width: number): Dim[] {
  return [BATCH, numPatches(weights.config), width];
}

/** pixel_values → vision_features: the vision tower alone, for packages with a separate projector. */
export function buildClipVisionEncoder(weights: ClipVisionWeights, choice: LinearChoice): SerializedModel {
  const g = new GraphBuilder('vision_encoder');
  const features = addClipVisionEncoder(g, pixelInput(g, weights), weights, choice);
  g.output(VISION_FEATURES, 'float32', featureShape(weights, weights.config.hiddenSize), features);
  return g.serialize({
    docString: 'CLIP-style vision encoder: hidden state of the feature layer, CLS dropped',
  });
}

/** pixel_values → image_features with the projector inside, as Hub exports have it. */
export function buildFusedVisionEncoder(
  vision: ClipVisionWeights,
  projector: ProjectorWeights,
  choice: LinearChoice,
): SerializedModel {
  const g = new GraphBuilder('vision_encoder');
  const features = addClipVisionEncoder(g, pixelInput(g, vision), vision, choice);
  g.output(
    IMAGE_FEATURES,
    'float32',
    featureShape(vision, projector.linear2.outFeatures),
    addProjector(g, features, projector, choice),
  );
  return g.serialize({ docString: 'CLIP-style vision encoder with the mlp2x_gelu projector fused in' });
}
