/**
 * A small Qwen2-shaped decoder (q, k and v biases) with seeded random weights, built by the toolkit as the
 * merged decoder and the static step, in fp32 and q4: graphs of every layout the engine's load-time
 * rewrites meet (packed-qkv-graph.ts), at a head size (16) whose static step rotates inside
 * GroupQueryAttention, which the tiny packages' (8) do not. `feeds` gives either graph a prefill of its own.
 */

import { linearOf } from '../../src/toolkit/decoder/linears';
import {
  addLlamaDecoder,
  type DecoderLayerWeights,
  inMemoryDecoderSource,
} from '../../src/toolkit/decoder/llama-graph';
import type { LlamaConfig, LlamaWeights } from '../../src/toolkit/llama2c/checkpoint';
import { GraphBuilder, type SerializedModel } from '../../src/toolkit/onnx/graph';
import { SeededRandom } from '../../src/toolkit/vision/seeded-random';

/** Qwen2's layout, small: KV heads shared by two query heads each, and a head size of 16. */
export const CONFIG: LlamaConfig = {
  hiddenSize: 64,
  intermediateSize: 96,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  vocabSize: 48,
  maxPositions: 64,
  rmsNormEps: 1e-6,
  ropeTheta: 1e4,
};

export type DecoderKind = 'merged' | 'static';
export type DecoderDtype = 'fp32' | 'q4' | 'q4f16' | 'fp16';

/**
 * Seeded Qwen2-shaped weights (q, k and v biases, tied embeddings); `round` maps each tensor's values, such
 * as to bfloat16 for a checkpoint that must hold them exactly.
 */
export function randomQwen2Weights(
  config: LlamaConfig,
  seed: number,
  round: (values: Float32Array) => Float32Array = (values) => values,
): LlamaWeights & { readonly layers: readonly DecoderLayerWeights[] } {
  const random = new SeededRandom(seed);
  const normal = (count: number, std: number, mean = 0) => round(random.normals(count, std, mean));
  const { hiddenSize: d, intermediateSize: ff, numHeads, numKvHeads, headDim, vocabSize } = config;
  const q = numHeads * headDim;
  const kv = numKvHeads * headDim;
  const layers: DecoderLayerWeights[] = Array.from({ length: config.numLayers }, () => ({
    inputNorm: normal(d, 0.1, 1),
    q: normal(q * d, 1 / Math.sqrt(d)),
    qBias: normal(q, 0.5),
    k: normal(kv * d, 1 / Math.sqrt(d)),
    // Qwen2's key biases are large; they must survive RoPE as a reference applies it.
    kBias: normal(kv, 2),
    v: normal(kv * d, 1 / Math.sqrt(d)),
    vBias: normal(kv, 0.5),
    o: normal(d * q, 1 / Math.sqrt(q)),
    postNorm: normal(d, 0.1, 1),
    gate: normal(ff * d, 1 / Math.sqrt(d)),
    up: normal(ff * d, 1 / Math.sqrt(d)),
    down: normal(d * ff, 1 / Math.sqrt(ff)),
  }));
  const embedTokens = normal(vocabSize * d, 1);
  return { config, embedTokens, layers, norm: normal(d, 0.1, 1), lmHead: embedTokens };
}

export function randomDecoder(kind: DecoderKind, dtype: DecoderDtype, seed = 7): Uint8Array {
  return randomDecoderFiles(kind, dtype, seed).model;
}

/** The decoder, with every weight of `externalFrom` bytes or more in a data file beside it, DATA_FILE. */
export function randomDecoderFiles(
  kind: DecoderKind,
  dtype: DecoderDtype,
  seed = 7,
  externalFrom?: number,
): SerializedModel {
  const g = new GraphBuilder(`random_${kind}_decoder`);
  const options = { linear: linearOf(dtype), staticCache: kind === 'static' };
  addLlamaDecoder(g, inMemoryDecoderSource(randomQwen2Weights(CONFIG, seed)), options);
  return g.serialize(
    externalFrom === undefined ? {} : { externalData: { location: DATA_FILE, minBytes: externalFrom } },
  );
}

export const DATA_FILE = 'decoder.onnx_data';

/** A tensor as onnxruntime-web and onnxruntime-node both take it. */
export interface Feed {
  readonly type: 'float32' | 'int64' | 'int32';
  readonly data: Float32Array | BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

/** The sizes a decoder's inputs take. */
export type DecoderShape = Pick<LlamaConfig, 'hiddenSize' | 'numLayers' | 'numKvHeads' | 'headDim'>;

/**
 * A prefill of `positions` made-up embeddings into an empty cache (the static one `maxLength` long), for
 * a decoder of `shape` (this module's by default).
 */
export function feeds(
  kind: DecoderKind,
  positions: number,
  { maxLength = 32, shape = CONFIG as DecoderShape } = {},
): Record<string, Feed> {
  const { hiddenSize, numLayers, numKvHeads, headDim } = shape;
  const embeds = Float32Array.from({ length: positions * hiddenSize }, (_, i) => Math.sin(i * 0.37));
  const out: Record<string, Feed> = {
    inputs_embeds: { type: 'float32', data: embeds, dims: [1, positions, hiddenSize] },
  };
  const past = kind === 'static' ? maxLength : 0;
  for (let i = 0; i < numLayers; i++)
    for (const part of ['key', 'value'])
      out[`past_key_values.${i}.${part}`] = {
        type: 'float32',
        data: new Float32Array(numKvHeads * past * headDim),
        dims: [1, numKvHeads, past, headDim],
      };
  const ids = BigInt64Array.from({ length: positions }, (_, i) => BigInt(i));
  if (kind === 'static') {
    out.seqlens_k = { type: 'int32', data: Int32Array.of(positions - 1), dims: [1] };
    out.total_sequence_length = { type: 'int32', data: Int32Array.of(positions), dims: [] };
  } else {
    out.attention_mask = { type: 'int64', data: new BigInt64Array(positions).fill(1n), dims: [1, positions] };
    out.position_ids = { type: 'int64', data: ids, dims: [1, positions] };
    out.num_logits_to_keep = { type: 'int64', data: BigInt64Array.of(0n), dims: [] };
  }
  return out;
}
