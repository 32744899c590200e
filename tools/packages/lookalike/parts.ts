/**
 * The pieces every look-alike package is made of: a Qwen2-style byte-level tokenizer with Qwen's special
 * tokens and `<image>`, a tiny Qwen2 decoder (q/k/v biases) with seeded random weights, its embedding table,
 * and a SigLIP-style vision tower with the mlp2x_gelu projector fused in (pixel_values → image_features),
 * each in the dtypes a Hub export ships. Only sizes shrink; names, layouts and special tokens are the real
 * ones, so the engine reads these packages exactly as it reads the Hub's.
 */

import { partFile } from '../../../src/engine/model/files';
import type { ModelPart } from '../../../src/engine/types';
import { linearOf, type PackageDtype } from '../../../src/toolkit/decoder/linears';
import {
  addEmbedTokens,
  addLlamaDecoder,
  type DecoderLayerWeights,
} from '../../../src/toolkit/decoder/llama-graph';
import type { LlamaConfig } from '../../../src/toolkit/llama2c/checkpoint';
import { GraphBuilder } from '../../../src/toolkit/onnx/graph';
import { byteLevelBpeModel, byteToUnicode } from '../../../src/toolkit/tokenizer/byte-level-bpe';
import type { ProjectorWeights } from '../../../src/toolkit/vision/clip-weights';
import { randomProjectorWeights } from '../../../src/toolkit/vision/clip-weights';
import { addProjector, IMAGE_FEATURES } from '../../../src/toolkit/vision/projector-graph';
import { SeededRandom } from '../../../src/toolkit/vision/seeded-random';
import { addSiglipVisionEncoder } from '../../../src/toolkit/vision/siglip-graph';
import {
  randomSiglipVisionWeights,
  type SiglipVisionConfig,
  type SiglipVisionWeights,
  siglipPatches,
} from '../../../src/toolkit/vision/siglip-weights';
import type { JsonObject, JsonValue } from '../../tokenizer/tokenizer-json';

const MERGES: readonly [string, string][] = [
  ['Ġ', 't'],
  ['h', 'e'],
  ['Ġt', 'he'],
  ['Ġ', 'a'],
  ['i', 's'],
  ['Ġ', 'i'],
  ['o', 'u'],
  ['Ġ', 'w'],
];

/** Qwen's special tokens in Qwen's order, then LLaVA's image token (ids 151643–151646 in the real vocabulary). */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export interface QwenTokenizer {
  readonly json: JsonObject;
  readonly vocabSize: number;
  readonly id: Readonly<Record<SpecialToken, number>>;
}

/** tokenizer.json in Qwen2's layout: byte-level BPE, the Qwen2 split regex, special tokens added last. */
export function qwenTokenizer(): QwenTokenizer {
  const vocab: Record<string, number> = {};
  for (const symbol of byteToUnicode()) vocab[symbol] = Object.keys(vocab).length;
  for (const [a, b] of MERGES) vocab[a + b] = Object.keys(vocab).length;
  const base = Object.keys(vocab).length;
  const id = {
    '<|endoftext|>': base,
    '<|im_start|>': base + 1,
    '<|im_end|>': base + 2,
    '<image>': base + 3,
  };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const json: JsonObject = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          },
          behavior: 'Isolated',
          invert: false,
        },
        byteLevel,
      ],
    },
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: byteLevelBpeModel(vocab, MERGES) as JsonObject,
  };
  return { json, vocabSize: base + SPECIAL_TOKENS.length, id };
}

/** Qwen2's tokenizer_config.json: the special tokens as added tokens; no BOS, no UNK. */
export function qwenTokenizerConfig(
  tokenizer: QwenTokenizer,
  extra: { readonly chatTemplate?: string; readonly processorClass?: string },
): JsonObject {
  const decoder = Object.fromEntries(
    SPECIAL_TOKENS.map((content) => [
      String(tokenizer.id[content]),
      { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
    ]),
  );
  return {
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
    ...(extra.chatTemplate === undefined ? {} : { chat_template: extra.chatTemplate }),
    ...(extra.processorClass === undefined ? {} : { processor_class: extra.processorClass }),
  };
}

export function addedTokensJson(tokenizer: QwenTokenizer, tokens: readonly SpecialToken[]): JsonObject {
  return Object.fromEntries(tokens.map((token) => [token, tokenizer.id[token]]));
}

/** Qwen's ChatML chat template (Qwen1.5 and Qwen2 Instruct): content is printed as a string. */
export const QWEN_CHATML_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export interface TinyQwen {
  readonly config: LlamaConfig;
  readonly embedTokens: Float32Array;
  readonly layers: readonly DecoderLayerWeights[];
  readonly norm: Float32Array;
  readonly lmHead: Float32Array;
}

/** Seeded random Qwen2 weights; with `tied`, lm_head is the embedding table, as tie_word_embeddings says. */
export function tinyQwen(config: LlamaConfig, seed: number, tied: boolean): TinyQwen {
  const random = new SeededRandom(seed);
  const { hiddenSize: d, intermediateSize: ff, numHeads, numKvHeads, headDim, vocabSize } = config;
  const matrix = (out: number, inFeatures: number) =>
    random.normals(out * inFeatures, 1 / Math.sqrt(inFeatures));
  const embedTokens = random.normals(vocabSize * d, 1);
  return {
    config,
    embedTokens,
    layers: Array.from({ length: config.numLayers }, () => ({
      inputNorm: random.normals(d, 0.05, 1),
      q: matrix(numHeads * headDim, d),
      k: matrix(numKvHeads * headDim, d),
      v: matrix(numKvHeads * headDim, d),
      qBias: random.normals(numHeads * headDim, 0.1),
      kBias: random.normals(numKvHeads * headDim, 0.1),
      vBias: random.normals(numKvHeads * headDim, 0.1),
      o: matrix(d, numHeads * headDim),
      postNorm: random.normals(d, 0.05, 1),
      gate: matrix(ff, d),
      up: matrix(ff, d),
      down: matrix(d, ff),
    })),
    norm: random.normals(d, 0.05, 1),
    // Scaled so that logits spread over a few units: greedy decoding then varies with the prompt.
    lmHead: tied ? embedTokens : random.normals(vocabSize * d, 2 / Math.sqrt(d)),
  };
}

/**
 * The look-alikes' Qwen2: 2 layers, 64 wide, 4 query heads of 16 over `numKvHeads` KV heads, with Qwen2's
 * 32768 positions, RMS eps 1e-6 and RoPE θ 1e6.
 */
export function lookalikeQwen(
  tokenizer: QwenTokenizer,
  options: { readonly numKvHeads: number; readonly seed: number; readonly tied: boolean },
): TinyQwen {
  return tinyQwen(
    {
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: options.numKvHeads,
      headDim: 16,
      vocabSize: tokenizer.vocabSize,
      maxPositions: 32768,
      rmsNormEps: 1e-6,
      ropeTheta: 1000000,
    },
    options.seed,
    options.tied,
  );
}

export function decoderOnnx(model: TinyQwen, dtype: PackageDtype): Uint8Array {
  const g = new GraphBuilder('decoder_model_merged');
  addLlamaDecoder(
    g,
    {
      config: model.config,
      layer: (index) => {
        const layer = model.layers[index];
        if (!layer) throw new Error(`no layer ${index}`);
        return layer;
      },
      norm: () => model.norm,
      lmHead: () => model.lmHead,
    },
    // Attending as the Hub's exports do: plain operators, each present a Concat of its past and new rows.
    { linear: linearOf(dtype), attention: 'concat' },
  );
  return g.serialize({ docString: `tiny Qwen2 decoder (${dtype})` }).model;
}

/** fp16 stores the table as half floats, as the Hub's embed_tokens_fp16 does. */
export function embedOnnx(model: TinyQwen, dtype: 'fp32' | 'fp16'): Uint8Array {
  const g = new GraphBuilder('embed_tokens');
  const { vocabSize, hiddenSize } = model.config;
  addEmbedTokens(g, model.embedTokens, vocabSize, hiddenSize, { float16: dtype === 'fp16' });
  return g.serialize({ docString: `token embedding table (${dtype})` }).model;
}

export interface TinyVision {
  readonly tower: SiglipVisionWeights;
  readonly projector: ProjectorWeights;
}

export function tinyVision(config: SiglipVisionConfig, textHidden: number, seed: number): TinyVision {
  return {
    tower: randomSiglipVisionWeights(config, seed),
    projector: randomProjectorWeights(config.hiddenSize, textHidden, seed + 1, {
      inputRms: 1.5,
      outputRms: 1,
    }),
  };
}

/** SigLIP so400m-patch14-384's input and patch (729 image tokens), around a 1-layer, 32-wide tower. */
export const SIGLIP_384_VISION = {
  imageSize: 384,
  patchSize: 14,
  channels: 3,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 1,
  numHeads: 2,
  layerNormEps: 1e-6,
  featureLayer: -1,
  activation: 'gelu_pytorch_tanh',
} as const;

/** pixel_values → image_features: the tower's feature layer (all patches) through the fused projector. */
export function visionOnnx(vision: TinyVision, dtype: PackageDtype): Uint8Array {
  const g = new GraphBuilder('vision_encoder');
  const { channels, imageSize } = vision.tower.config;
  const pixels = g.input('pixel_values', 'float32', ['batch_size', channels, imageSize, imageSize]);
  const choice = { linear: linearOf(dtype) };
  const features = addSiglipVisionEncoder(g, pixels, vision.tower, choice, 'full');
  g.output(
    IMAGE_FEATURES,
    'float32',
    ['batch_size', siglipPatches(vision.tower.config), vision.projector.linear2.outFeatures],
    addProjector(g, features, vision.projector, choice),
  );
  return g.serialize({ docString: `tiny vision encoder with the projector fused in (${dtype})` }).model;
}

/** The Hub's file name of a part in a dtype (onnx/{part}{suffix}.onnx). */
export function onnxPath(part: ModelPart, dtype: PackageDtype): string {
  return partFile(part, dtype);
}

/** Qwen2's special_tokens_map.json: the ChatML turn markers, EOS = `<|im_end|>`, PAD = `<|endoftext|>`. */
function qwenSpecialTokensMap(): JsonObject {
  return {
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    eos_token: {
      content: '<|im_end|>',
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    },
    pad_token: {
      content: '<|endoftext|>',
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    },
  };
}

export interface LookalikeTail {
  readonly tokenizer: QwenTokenizer;
  /** added_tokens.json's tokens, in the repository's order. */
  readonly addedTokens: readonly SpecialToken[];
  readonly tokenizerConfig: Parameters<typeof qwenTokenizerConfig>[1];
  readonly text: TinyQwen;
  readonly vision: TinyVision;
  /**
   * The vision encoder's dtypes; the decoder ships as q4, q4f16 and quantized, the embedding table as fp32
   * and fp16 (the files the registry's plans load on each device).
   */
  readonly visionDtypes: readonly PackageDtype[];
}

/** The files every look-alike ends with: the tokenizer files, then the ONNX parts. */
export function lookalikeTailFiles(tail: LookalikeTail): [string, Uint8Array | JsonValue][] {
  const { tokenizer, text, vision } = tail;
  return [
    ['added_tokens.json', addedTokensJson(tokenizer, tail.addedTokens)],
    ['special_tokens_map.json', qwenSpecialTokensMap()],
    ['tokenizer.json', tokenizer.json],
    ['tokenizer_config.json', qwenTokenizerConfig(tokenizer, tail.tokenizerConfig)],
    ...tail.visionDtypes.map((dtype): [string, Uint8Array] => [
      onnxPath('vision_encoder', dtype),
      visionOnnx(vision, dtype),
    ]),
    [onnxPath('embed_tokens', 'fp32'), embedOnnx(text, 'fp32')],
    [onnxPath('embed_tokens', 'fp16'), embedOnnx(text, 'fp16')],
    [onnxPath('decoder_model_merged', 'q4'), decoderOnnx(text, 'q4')],
    [onnxPath('decoder_model_merged', 'q4f16'), decoderOnnx(text, 'q4f16')],
    [onnxPath('decoder_model_merged', 'quantized'), decoderOnnx(text, 'quantized')],
  ];
}
