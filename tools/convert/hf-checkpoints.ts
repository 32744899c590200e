/**
 * Test models written out as Hugging Face checkpoint folders (safetensors + config, tokenizer and
 * processor files), for `glimpse convert` to read back: a Llama causal LM and a LlavaForConditionalGeneration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecoderLayerWeights } from '../../src/toolkit/decoder/llama-graph';
import type { LlamaConfig } from '../../src/toolkit/llama2c/checkpoint';
import type { SafetensorsDtype } from '../../src/toolkit/safetensors/reader';
import { type TensorToWrite, writeCheckpoint } from '../../src/toolkit/safetensors/writer';
import type {
  ClipLayerWeights,
  ClipVisionWeights,
  LayerNormWeights,
  LinearWeights,
  ProjectorWeights,
} from '../../src/toolkit/vision/clip-weights';
import type { SiglipVisionWeights } from '../../src/toolkit/vision/siglip-weights';
import type { PackageFiles } from '../packages/write';
import { stableJson } from '../packages/write';

export interface TextWeights {
  readonly config: LlamaConfig;
  readonly embedTokens: Float32Array;
  readonly layers: readonly DecoderLayerWeights[];
  readonly norm: Float32Array;
  /** Left out of the checkpoint when the config ties it to the embeddings. */
  readonly lmHead?: Float32Array;
}

/** Tensors of a text model under `base` ('model.' for a causal LM) with the head at `lmHead`. */
export function textTensors(weights: TextWeights, base: string, lmHead: string): TensorToWrite[] {
  const { hiddenSize: d, intermediateSize: ff, numHeads, numKvHeads, headDim } = weights.config;
  const q = numHeads * headDim;
  const kv = numKvHeads * headDim;
  const tensors: TensorToWrite[] = [
    {
      name: `${base}embed_tokens.weight`,
      shape: [weights.embedTokens.length / d, d],
      values: weights.embedTokens,
    },
  ];
  weights.layers.forEach((layer, i) => {
    const p = `${base}layers.${i}.`;
    const add = (name: string, shape: number[], values: Float32Array | undefined): void => {
      if (values) tensors.push({ name: p + name, shape, values });
    };
    add('input_layernorm.weight', [d], layer.inputNorm);
    add('self_attn.q_proj.weight', [q, d], layer.q);
    add('self_attn.q_proj.bias', [q], layer.qBias);
    add('self_attn.k_proj.weight', [kv, d], layer.k);
    add('self_attn.k_proj.bias', [kv], layer.kBias);
    add('self_attn.v_proj.weight', [kv, d], layer.v);
    add('self_attn.v_proj.bias', [kv], layer.vBias);
    add('self_attn.o_proj.weight', [d, q], layer.o);
    add('post_attention_layernorm.weight', [d], layer.postNorm);
    add('mlp.gate_proj.weight', [ff, d], layer.gate);
    add('mlp.up_proj.weight', [ff, d], layer.up);
    add('mlp.down_proj.weight', [d, ff], layer.down);
  });
  tensors.push({ name: `${base}norm.weight`, shape: [d], values: weights.norm });
  if (weights.lmHead)
    tensors.push({ name: lmHead, shape: [weights.lmHead.length / d, d], values: weights.lmHead });
  return tensors;
}

function linearTensors(name: string, w: LinearWeights): TensorToWrite[] {
  return [
    { name: `${name}.weight`, shape: [w.outFeatures, w.inFeatures], values: w.weight },
    { name: `${name}.bias`, shape: [w.outFeatures], values: w.bias },
  ];
}

/** A CLIP tower under `prefix` (e.g. 'vision_tower.vision_model.'), every layer included. */
export function clipTensors(weights: ClipVisionWeights, prefix: string): TensorToWrite[] {
  const { hiddenSize: d, channels, patchSize } = weights.config;
  const norm = (name: string, w: { weight: Float32Array; bias: Float32Array }): TensorToWrite[] => [
    { name: `${prefix}${name}.weight`, shape: [d], values: w.weight },
    { name: `${prefix}${name}.bias`, shape: [d], values: w.bias },
  ];
  const e = `${prefix}embeddings.`;
  return [
    { name: `${e}class_embedding`, shape: [d], values: weights.classEmbedding },
    {
      name: `${e}patch_embedding.weight`,
      shape: [d, channels, patchSize, patchSize],
      values: weights.patchEmbedding,
    },
    {
      name: `${e}position_embedding.weight`,
      shape: [weights.positionEmbedding.length / d, d],
      values: weights.positionEmbedding,
    },
    ...norm('pre_layrnorm', weights.preLayerNorm),
    ...layerTensors(weights.layers, prefix, d),
  ];
}

function layerTensors(layers: readonly ClipLayerWeights[], prefix: string, d: number): TensorToWrite[] {
  const norm = (name: string, w: LayerNormWeights): TensorToWrite[] => [
    { name: `${prefix}${name}.weight`, shape: [d], values: w.weight },
    { name: `${prefix}${name}.bias`, shape: [d], values: w.bias },
  ];
  return layers.flatMap((layer, i) => {
    const p = `${prefix}encoder.layers.${i}.`;
    return [
      ...norm(`encoder.layers.${i}.layer_norm1`, layer.layerNorm1),
      ...linearTensors(`${p}self_attn.q_proj`, layer.qProj),
      ...linearTensors(`${p}self_attn.k_proj`, layer.kProj),
      ...linearTensors(`${p}self_attn.v_proj`, layer.vProj),
      ...linearTensors(`${p}self_attn.out_proj`, layer.outProj),
      ...norm(`encoder.layers.${i}.layer_norm2`, layer.layerNorm2),
      ...linearTensors(`${p}mlp.fc1`, layer.fc1),
      ...linearTensors(`${p}mlp.fc2`, layer.fc2),
    ];
  });
}

/**
 * A SigLIP tower under `prefix`, with a post_layernorm as real checkpoints have (LLaVA never reads it, so
 * the values given here must not matter).
 */
export function siglipTensors(
  weights: SiglipVisionWeights,
  prefix: string,
  postLayerNorm: Float32Array,
): TensorToWrite[] {
  const { hiddenSize: d, channels, patchSize } = weights.config;
  const e = `${prefix}embeddings.`;
  return [
    {
      name: `${e}patch_embedding.weight`,
      shape: [d, channels, patchSize, patchSize],
      values: weights.patchEmbedding,
    },
    { name: `${e}patch_embedding.bias`, shape: [d], values: weights.patchBias },
    {
      name: `${e}position_embedding.weight`,
      shape: [weights.positionEmbedding.length / d, d],
      values: weights.positionEmbedding,
    },
    ...layerTensors(weights.layers, prefix, d),
    { name: `${prefix}post_layernorm.weight`, shape: [d], values: postLayerNorm },
    { name: `${prefix}post_layernorm.bias`, shape: [d], values: postLayerNorm },
  ];
}

export function projectorTensors(weights: ProjectorWeights, prefix: string): TensorToWrite[] {
  return [
    ...linearTensors(`${prefix}linear_1`, weights.linear1),
    ...linearTensors(`${prefix}linear_2`, weights.linear2),
  ];
}

/** Writes a checkpoint folder: the tensors plus the package's JSON files under their names. */
export function writeHfCheckpoint(
  dir: string,
  tensors: readonly TensorToWrite[],
  jsonFiles: PackageFiles,
  options: { readonly dtype: SafetensorsDtype; readonly shards?: number },
): void {
  mkdirSync(dir, { recursive: true });
  writeCheckpoint(dir, tensors, options);
  for (const [path, content] of jsonFiles) {
    if (!path.endsWith('.json')) continue;
    writeFileSync(join(dir, path), content instanceof Uint8Array ? content : stableJson(content));
  }
}
