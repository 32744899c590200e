/**
 * models/stories260k: the llama2.c stories260K model as a text-only decoder package in the Hub's
 * browser-export layout (float32).
 */

import {
  buildEmbedTokens,
  buildLlamaDecoder,
  buildStaticDecoder,
} from '../../src/toolkit/decoder/llama-graph';
import {
  type Llama2cCheckpoint,
  type LlamaWeights,
  readLlama2cCheckpoint,
  toHuggingFaceLlama,
} from '../../src/toolkit/llama2c/checkpoint';
import { loadStories260k } from '../data/stories260k';
import { generationConfigJson, llamaConfigJson } from '../decoder/hf-config';
import { type Llama2cVocabulary, readLlama2cTokenizer } from '../llama2c/tokenizer';
import { type JsonValue, toTokenizerConfig, toTokenizerJson } from '../tokenizer/tokenizer-json';
import type { ModelPackage } from './index';
import { type PackageFiles, writePackage } from './write';

export interface Stories260kModel {
  readonly checkpoint: Llama2cCheckpoint;
  readonly weights: LlamaWeights;
  readonly vocab: Llama2cVocabulary;
}

export async function loadStories260kModel(): Promise<Stories260kModel> {
  const files = await loadStories260k();
  const checkpoint = readLlama2cCheckpoint(files.checkpoint);
  return {
    checkpoint,
    weights: toHuggingFaceLlama(checkpoint),
    vocab: readLlama2cTokenizer(files.tokenizer, checkpoint.config.vocabSize),
  };
}

export async function stories260kFiles(): Promise<PackageFiles> {
  const { weights, vocab } = await loadStories260kModel();
  const { config } = weights;
  return new Map<string, Uint8Array | JsonValue>([
    ['config.json', llamaConfigJson(config)],
    ['generation_config.json', generationConfigJson(config)],
    ['tokenizer.json', toTokenizerJson(vocab)],
    ['tokenizer_config.json', toTokenizerConfig(vocab, { modelMaxLength: config.maxPositions })],
    [
      'onnx/embed_tokens.onnx',
      buildEmbedTokens(weights.embedTokens, config.vocabSize, config.hiddenSize).model,
    ],
    ['onnx/decoder_model_merged.onnx', buildLlamaDecoder(weights).model],
    // The static-cache step graph for onnxruntime-web's captured WebGPU decode (static-decoder.ts).
    ['onnx/decoder_model_static.onnx', buildStaticDecoder(weights).model],
  ]);
}

export const stories260k: ModelPackage = {
  name: 'stories260k',
  test: { note: "A 260K-parameter story model: reads text only, and writes children's stories." },
  build: async (outDir) => writePackage(outDir, await stories260kFiles()),
};
