/**
 * models/tiny-llava: a whole LLaVA package for tests and the offline demo — a tiny CLIP-style vision
 * tower and mlp2x_gelu projector with seeded random weights, in front of the trained stories260K language
 * model with `<image>` added to its vocabulary. Vision encoder and projector are separate files (the
 * design's g and W); float32, plus `_q4` vision encoder and decoder (MatMulNBits, float32 activations).
 */

import { buildEmbedTokens, buildLlamaDecoder, floatLinear } from '../../src/toolkit/decoder/llama-graph';
import type { LlamaConfig, LlamaWeights } from '../../src/toolkit/llama2c/checkpoint';
import { q4Linear } from '../../src/toolkit/quantize/matmulnbits';
import { buildClipVisionEncoder } from '../../src/toolkit/vision/clip-graph';
import {
  CLIP_MEAN,
  CLIP_STD,
  type ClipVisionConfig,
  type ClipVisionWeights,
  numPatches,
  type ProjectorWeights,
  randomClipVisionWeights,
  randomProjectorWeights,
  TINY_CLIP_CONFIG,
} from '../../src/toolkit/vision/clip-weights';
import { buildProjector } from '../../src/toolkit/vision/projector-graph';
import { generationConfigJson, llamaConfigJson } from '../decoder/hf-config';
import type { Llama2cVocabulary } from '../llama2c/tokenizer';
import {
  type AddedToken,
  type JsonValue,
  toTokenizerConfig,
  toTokenizerJson,
} from '../tokenizer/tokenizer-json';
import type { ModelPackage } from './index';
import { loadStories260kModel } from './stories260k';
import { LLAVA_V1_CHAT_TEMPLATE } from './tiny-llava-template';
import { type PackageFiles, writePackage } from './write';

const VISION_SEED = 0x11a7a;
const PROJECTOR_SEED = 0x9e0c7;
/** RMS of the tiny tower's layer -2 features on photographs, measured with the reference forward pass. */
const VISION_FEATURE_RMS = 1.8;
/** RMS of stories260K's token embeddings. */
const TOKEN_EMBEDDING_RMS = 0.31;

export const IMAGE_TOKEN = '<image>';

export interface TinyLlavaModel {
  readonly vision: ClipVisionWeights;
  readonly projector: ProjectorWeights;
  /** stories260K with one more embedding row, for `<image>`; logits stay vocabSize wide. */
  readonly text: LlamaWeights;
  readonly vocab: Llama2cVocabulary;
  readonly imageTokenId: number;
  readonly embeddingRows: number;
}

export async function loadTinyLlavaModel(): Promise<TinyLlavaModel> {
  const { weights, vocab } = await loadStories260kModel();
  const { hiddenSize, vocabSize } = weights.config;
  // The `<image>` row is never read by a correct pipeline (image features replace it); zeros keep it inert.
  const embedTokens = new Float32Array((vocabSize + 1) * hiddenSize);
  embedTokens.set(weights.embedTokens.subarray(0, vocabSize * hiddenSize));
  return {
    vision: randomClipVisionWeights(TINY_CLIP_CONFIG, VISION_SEED),
    projector: randomProjectorWeights(TINY_CLIP_CONFIG.hiddenSize, hiddenSize, PROJECTOR_SEED, {
      inputRms: VISION_FEATURE_RMS,
      outputRms: TOKEN_EMBEDDING_RMS,
    }),
    text: { ...weights, embedTokens },
    vocab,
    imageTokenId: vocabSize,
    embeddingRows: vocabSize + 1,
  };
}

/** config.json of a LlavaForConditionalGeneration with a llama text model and a CLIP vision tower. */
export function llavaConfigJson(
  vision: ClipVisionConfig,
  text: LlamaConfig,
  imageTokenId: number,
): JsonValue {
  return {
    architectures: ['LlavaForConditionalGeneration'],
    image_seq_length: numPatches(vision),
    image_token_index: imageTokenId,
    model_type: 'llava',
    multimodal_projector_bias: true,
    projector_hidden_act: 'gelu',
    text_config: llamaConfigJson(text),
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    vision_config: {
      hidden_act: 'quick_gelu',
      hidden_size: vision.hiddenSize,
      image_size: vision.imageSize,
      intermediate_size: vision.intermediateSize,
      layer_norm_eps: vision.layerNormEps,
      model_type: 'clip_vision_model',
      num_attention_heads: vision.numHeads,
      num_channels: vision.channels,
      num_hidden_layers: vision.numLayers,
      patch_size: vision.patchSize,
    },
    vision_feature_layer: vision.featureLayer,
    vision_feature_select_strategy: 'default',
  };
}

/** The image processor settings shared by both packages (CLIP constants, bicubic to the model's side). */
function imageProcessorCommon(side: number): { readonly [key: string]: JsonValue } {
  return {
    crop_size: { height: side, width: side },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [...CLIP_MEAN],
    image_std: [...CLIP_STD],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: side },
  };
}

/** LLaVA-1.5's 'pad' aspect ratio: pad to a square of the mean colour, then resize (LlavaImageProcessor). */
export function padPreprocessorJson(side: number): JsonValue {
  return {
    ...imageProcessorCommon(side),
    do_pad: true,
    image_processor_type: 'LlavaImageProcessor',
    processor_class: 'LlavaProcessor',
  };
}

/** The plain CLIP processor (shortest edge, centre crop), as llava-hf exports ship it. */
export function clipPreprocessorJson(model: TinyLlavaModel): JsonValue {
  return {
    ...imageProcessorCommon(model.vision.config.imageSize),
    image_processor_type: 'CLIPImageProcessor',
    processor_class: 'LlavaProcessor',
  };
}

/** The text side of a LLaVA package on stories260K: generation config, tokenizer with `<image>`, llava_v1 template. */
export function llavaTextFiles(
  vocab: Llama2cVocabulary,
  config: LlamaConfig,
  imageTokenId: number,
): Map<string, JsonValue> {
  const addedTokens: AddedToken[] = [{ id: imageTokenId, content: IMAGE_TOKEN, special: true }];
  return new Map<string, JsonValue>([
    ['generation_config.json', generationConfigJson(config)],
    ['tokenizer.json', toTokenizerJson(vocab, { addedTokens })],
    [
      'tokenizer_config.json',
      toTokenizerConfig(vocab, {
        modelMaxLength: config.maxPositions,
        addedTokens,
        chatTemplate: LLAVA_V1_CHAT_TEMPLATE,
      }),
    ],
  ]);
}

/** Files both packages share: configs, tokenizer, token embeddings and the decoders. */
export function tinyLlavaSharedFiles(model: TinyLlavaModel): Map<string, Uint8Array | JsonValue> {
  const { config } = model.text;
  return new Map<string, Uint8Array | JsonValue>([
    ['config.json', llavaConfigJson(model.vision.config, config, model.imageTokenId)],
    ...llavaTextFiles(model.vocab, config, model.imageTokenId),
    [
      'onnx/embed_tokens.onnx',
      buildEmbedTokens(model.text.embedTokens, model.embeddingRows, config.hiddenSize).model,
    ],
    ['onnx/decoder_model_merged.onnx', buildLlamaDecoder(model.text, { linear: floatLinear }).model],
  ]);
}

export async function tinyLlavaFiles(): Promise<PackageFiles> {
  const model = await loadTinyLlavaModel();
  const files = tinyLlavaSharedFiles(model);
  const tokens = numPatches(model.vision.config);
  files.set('preprocessor_config.json', padPreprocessorJson(model.vision.config.imageSize));
  files.set('onnx/vision_encoder.onnx', buildClipVisionEncoder(model.vision, { linear: floatLinear }).model);
  files.set('onnx/projector.onnx', buildProjector(model.projector, tokens, { linear: floatLinear }).model);
  files.set(
    'onnx/vision_encoder_q4.onnx',
    buildClipVisionEncoder(model.vision, { linear: q4Linear() }).model,
  );
  files.set('onnx/decoder_model_merged_q4.onnx', buildLlamaDecoder(model.text, { linear: q4Linear() }).model);
  return files;
}

export const tinyLlava: ModelPackage = {
  name: 'tiny-llava',
  test: { note: 'Random vision weights: answers are not about the picture.' },
  build: async (outDir) => writePackage(outDir, await tinyLlavaFiles()),
};
