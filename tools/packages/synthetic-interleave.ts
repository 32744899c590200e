/**
 * A benchmark package with random weights at the shapes of LLaVA-Interleave-0.5B (llava-hf/llava-interleave-
 * qwen-0.5b-hf): the Qwen2-0.5B language model (hidden 1024, 24 layers, 16 heads, 16 KV heads, MLP 2816,
 * vocabulary 152000, tied embeddings) and the SigLIP-so400m vision tower (patch 14, 729 image tokens,
 * hidden 1152, 26 layers, 16 heads, MLP 4304) with its 1152→1024→1024 projector, in the transformers.js
 * layout: decoder and vision encoder (projector fused) in q4 (MatMulNBits) and quantized (8-bit
 * MatMulInteger), fp16 embedding table.
 *
 * Weights' values do not change speed, so the graphs are the toolkit's Llama and CLIP graphs at these
 * shapes (Qwen2's q/k/v biases and SigLIP's activation and norms cost no measurable time), the image is
 * 378 px (27 × 14: the 27 × 27 = 729 patches a 384 px SigLIP input gives) and the 4-bit weights are random
 * nibbles (and 8-bit bytes) drawn directly, never quantised from floats, so the ~1.8 GB package builds in
 * seconds. The
 * tokenizer is tiny-llava's, padded with filler tokens to the full vocabulary so every id decodes.
 * Built on demand by the benchmark (`glimpse bench --model synthetic-interleave`), never by `npm run models`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildLlamaDecoder, buildStaticDecoder, type LinearFn } from '../../src/toolkit/decoder/llama-graph';
import type { LlamaConfig, LlamaWeights } from '../../src/toolkit/llama2c/checkpoint';
import { GraphBuilder } from '../../src/toolkit/onnx/graph';
import { int8MatMul } from '../../src/toolkit/quantize/matmulinteger';
import { DEFAULT_Q4_BLOCK_SIZE, matMulNBits } from '../../src/toolkit/quantize/matmulnbits';
import { buildFusedVisionEncoder } from '../../src/toolkit/vision/clip-graph';
import type {
  ClipVisionConfig,
  ClipVisionWeights,
  LinearWeights,
  ProjectorWeights,
} from '../../src/toolkit/vision/clip-weights';
import { numPatches } from '../../src/toolkit/vision/clip-weights';
import type { JsonObject, JsonValue } from '../tokenizer/tokenizer-json';
import type { ModelPackage } from './index';
import { type PackageFiles, writePackage } from './write';

export const TEXT_CONFIG: LlamaConfig = {
  hiddenSize: 1024,
  intermediateSize: 2816,
  numLayers: 24,
  numHeads: 16,
  numKvHeads: 16,
  headDim: 64,
  vocabSize: 152000,
  maxPositions: 32768,
  rmsNormEps: 1e-6,
  ropeTheta: 1000000,
};

export const VISION_CONFIG: ClipVisionConfig = {
  imageSize: 378,
  patchSize: 14,
  channels: 3,
  hiddenSize: 1152,
  intermediateSize: 4304,
  numLayers: 26,
  numHeads: 16,
  layerNormEps: 1e-6,
  featureLayer: -1,
};

/** tiny-llava's image token, kept so its tokenizer and chat template serve unchanged. */
const IMAGE_TOKEN_ID = 512;

/** xorshift32 over whole words: random bytes at memory speed, the same on every run. */
function randomBytes(length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, length);
}

/**
 * A LinearFn that ignores the float weight and emits MatMulNBits with random nibbles and one scale, sized
 * so that outputs keep about the size of the inputs (uniform nibbles around 8 have a spread of about 4.6).
 */
function randomQ4Linear(seed: { next: number }): LinearFn {
  return (g, x, _weight, outFeatures, inFeatures, name) => {
    const blockSize = DEFAULT_Q4_BLOCK_SIZE;
    const kBlocks = Math.ceil(inFeatures / blockSize);
    const packed = randomBytes(outFeatures * kBlocks * (blockSize / 2), seed.next++);
    const scales = new Float32Array(outFeatures * kBlocks).fill(1 / (4.6 * Math.sqrt(inFeatures)));
    return matMulNBits(g, x, { packed, scales, n: outFeatures, k: inFeatures, kBlocks, blockSize }, name);
  };
}

/** The same for 8-bit weights (the 'quantized' files): uniform bytes around 128 have a spread of about 74. */
function randomInt8Linear(seed: { next: number }): LinearFn {
  return (g, x, _weight, outFeatures, inFeatures, name) => {
    const quantized = randomBytes(outFeatures * inFeatures, seed.next++);
    const scales = new Float32Array(outFeatures).fill(1 / (74 * Math.sqrt(inFeatures)));
    return int8MatMul(g, x, { quantized, scales }, outFeatures, inFeatures, name);
  };
}

/** Linear weights are never read by randomQ4Linear: an empty array stands for each. */
const UNUSED = new Float32Array(0);

function textWeights(config: LlamaConfig): LlamaWeights {
  const ones = new Float32Array(config.hiddenSize).fill(1);
  const layer = { inputNorm: ones, q: UNUSED, k: UNUSED, v: UNUSED, o: UNUSED, postNorm: ones };
  return {
    config,
    embedTokens: UNUSED,
    layers: Array.from({ length: config.numLayers }, () => ({
      ...layer,
      gate: UNUSED,
      up: UNUSED,
      down: UNUSED,
    })),
    norm: ones,
    lmHead: UNUSED,
  };
}

function smallNormals(count: number, seed: number, std: number): Float32Array {
  const bytes = randomBytes(count, seed);
  return Float32Array.from(bytes, (b) => ((b - 127.5) / 73.6) * std);
}

function visionWeights(config: ClipVisionConfig): ClipVisionWeights {
  const d = config.hiddenSize;
  const norm = { weight: new Float32Array(d).fill(1), bias: new Float32Array(d) };
  const linear = (outFeatures: number, inFeatures: number): LinearWeights => ({
    weight: UNUSED,
    bias: new Float32Array(outFeatures),
    outFeatures,
    inFeatures,
  });
  const patchInputs = config.channels * config.patchSize ** 2;
  return {
    config,
    patchEmbedding: smallNormals(d * patchInputs, 11, 1 / Math.sqrt(patchInputs)),
    classEmbedding: smallNormals(d, 12, 1),
    positionEmbedding: smallNormals((numPatches(config) + 1) * d, 13, 0.5),
    preLayerNorm: norm,
    layers: Array.from({ length: config.numLayers }, () => ({
      layerNorm1: norm,
      qProj: linear(d, d),
      kProj: linear(d, d),
      vProj: linear(d, d),
      outProj: linear(d, d),
      layerNorm2: norm,
      fc1: linear(config.intermediateSize, d),
      fc2: linear(d, config.intermediateSize),
    })),
  };
}

function projectorWeights(visionHidden: number, textHidden: number): ProjectorWeights {
  const linear = (outFeatures: number, inFeatures: number): LinearWeights => ({
    weight: UNUSED,
    bias: new Float32Array(outFeatures),
    outFeatures,
    inFeatures,
  });
  return { linear1: linear(textHidden, visionHidden), linear2: linear(textHidden, textHidden) };
}

/**
 * input_ids → inputs_embeds from an fp16 table, cast to float32 (the decoder's activations). The table's
 * half-precision bit patterns are drawn directly: random sign and mantissa, magnitudes 2⁻⁷ to 2⁻⁴.
 */
function embedTokensFp16(rows: number, dim: number): Uint8Array {
  const bits = new Uint16Array(randomBytes(rows * dim * 2, 21).buffer, 0, rows * dim);
  for (let i = 0; i < bits.length; i++) {
    const r = bits[i] ?? 0;
    bits[i] = (r & 0x8000) | ((8 + ((r >> 10) & 3)) << 10) | (r & 0x3ff);
  }
  const g = new GraphBuilder('embed_tokens');
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const table = g.initializer('model.embed_tokens.weight', 'float16', [rows, dim], bits);
  const gathered = g.op('Gather', [table, ids], { axis: 0 });
  g.output(
    'inputs_embeds',
    'float32',
    ['batch_size', 'sequence_length', dim],
    g.op('Cast', [gathered], { to: 1 }),
  );
  return g.serialize({ docString: 'fp16 token embedding table, float32 output' }).model;
}

function isJsonObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** tiny-llava's tokenizer with filler tokens up to the vocabulary size, so every id the model emits decodes. */
function paddedTokenizer(tokenizer: JsonValue, vocabSize: number): JsonValue {
  const model = isJsonObject(tokenizer) ? tokenizer.model : undefined;
  const vocab = model !== undefined && isJsonObject(model) ? model.vocab : undefined;
  if (
    !isJsonObject(tokenizer) ||
    model === undefined ||
    !isJsonObject(model) ||
    vocab === undefined ||
    !isJsonObject(vocab)
  )
    throw new Error('tokenizer.json has no model vocabulary');
  const used = new Set(Object.values(vocab));
  const fillers: [string, number][] = [];
  for (let id = 0; id < vocabSize; id++) if (!used.has(id)) fillers.push([`▁w${id}`, id]);
  return { ...tokenizer, model: { ...model, vocab: { ...vocab, ...Object.fromEntries(fillers) } } };
}

async function tinyLlavaJson(file: string): Promise<JsonValue> {
  const path = fileURLToPath(new URL(`../../models/tiny-llava-fused/${file}`, import.meta.url));
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is needed (run npm run models first)`, { cause: err });
  }
}

/**
 * `hub`: the layout of the Hub's own export instead, for the CPU backends' merged-decoder path: the
 * merged decoders attend with the plain operators of transformers.js's exports (a Concat per present;
 * DecoderOptions.attention 'concat'), and there is no decoder_model_static.
 */
export async function syntheticInterleaveFiles({ hub = false } = {}): Promise<PackageFiles> {
  const files = new Map<string, Uint8Array | JsonValue>();
  for (const file of ['tokenizer_config.json', 'chat_template.json', 'generation_config.json']) {
    files.set(file, await tinyLlavaJson(file));
  }
  files.set('tokenizer.json', paddedTokenizer(await tinyLlavaJson('tokenizer.json'), TEXT_CONFIG.vocabSize));
  const preprocessor = await tinyLlavaJson('preprocessor_config.json');
  if (!isJsonObject(preprocessor)) throw new Error('unexpected preprocessor_config.json');
  const side = VISION_CONFIG.imageSize;
  files.set('preprocessor_config.json', {
    ...preprocessor,
    crop_size: { height: side, width: side },
    size: { shortest_edge: side },
  });
  files.set('processor_config.json', {
    image_token: '<image>',
    num_additional_image_tokens: 0,
    patch_size: VISION_CONFIG.patchSize,
    processor_class: 'LlavaProcessor',
    vision_feature_select_strategy: 'default',
  });
  files.set('config.json', configJson());
  const seed = { next: 1000 };
  for (const [dtype, linearFrom] of [
    ['q4', randomQ4Linear],
    ['quantized', randomInt8Linear],
  ] as const) {
    // The static-cache step graph beside each decoder, with its weights: a copy of the seed stream where
    // the decoder starts draws them in the same order. WebGPU captures it (q4); the CPU backends run it
    // with the cache kept in place (quantized, the file they load).
    const start = { ...seed };
    files.set(
      `onnx/decoder_model_merged_${dtype}.onnx`,
      buildLlamaDecoder(textWeights(TEXT_CONFIG), {
        linear: linearFrom(seed),
        ...(hub ? { attention: 'concat' } : {}),
      }).model,
    );
    if (!hub)
      files.set(
        `onnx/decoder_model_static_${dtype}.onnx`,
        buildStaticDecoder(textWeights(TEXT_CONFIG), { linear: linearFrom(start) }).model,
      );
    files.set(
      `onnx/vision_encoder_${dtype}.onnx`,
      buildFusedVisionEncoder(
        visionWeights(VISION_CONFIG),
        projectorWeights(VISION_CONFIG.hiddenSize, TEXT_CONFIG.hiddenSize),
        { linear: linearFrom(seed) },
      ).model,
    );
  }
  files.set('onnx/embed_tokens_fp16.onnx', embedTokensFp16(TEXT_CONFIG.vocabSize, TEXT_CONFIG.hiddenSize));
  return files;
}

function configJson(): JsonObject {
  const t = TEXT_CONFIG;
  const v = VISION_CONFIG;
  return {
    architectures: ['LlavaForConditionalGeneration'],
    image_seq_length: numPatches(v),
    image_token_index: IMAGE_TOKEN_ID,
    model_type: 'llava',
    projector_hidden_act: 'gelu',
    text_config: {
      bos_token_id: 1,
      eos_token_id: 2,
      head_dim: t.headDim,
      hidden_act: 'silu',
      hidden_size: t.hiddenSize,
      intermediate_size: t.intermediateSize,
      max_position_embeddings: t.maxPositions,
      model_type: 'llama',
      num_attention_heads: t.numHeads,
      num_hidden_layers: t.numLayers,
      num_key_value_heads: t.numKvHeads,
      rms_norm_eps: t.rmsNormEps,
      rope_theta: t.ropeTheta,
      tie_word_embeddings: true,
      vocab_size: t.vocabSize,
    },
    vision_config: {
      hidden_act: 'quick_gelu',
      hidden_size: v.hiddenSize,
      image_size: v.imageSize,
      intermediate_size: v.intermediateSize,
      layer_norm_eps: v.layerNormEps,
      model_type: 'clip_vision_model',
      num_attention_heads: v.numHeads,
      num_hidden_layers: v.numLayers,
      patch_size: v.patchSize,
    },
    vision_feature_layer: v.featureLayer,
    vision_feature_select_strategy: 'default',
  };
}

export const syntheticInterleave: ModelPackage = {
  test: { note: "Random weights at a real model's sizes, for benchmarks: answers mean nothing." },
  name: 'synthetic-interleave',
  build: async (outDir) => writePackage(outDir, await syntheticInterleaveFiles()),
};
