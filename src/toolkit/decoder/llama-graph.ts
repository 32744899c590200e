/**
 * The Llama decoder as an ONNX graph, in the I/O convention of transformers.js and the Hub's browser
 * exports (decoder_model_merged: inputs_embeds, attention_mask, position_ids, past_key_values.N.key/value,
 * num_logits_to_keep → logits, present.N.key/value), and the token-embedding graph beside it.
 *
 * The layers run on onnxruntime's contrib kernels, which both onnxruntime-web backends and
 * onnxruntime-node carry: each residual add shares a node with the norm after it
 * (SkipSimplifiedLayerNormalization), RotaryEmbedding rotates q and k at the given position_ids, and
 * GroupQueryAttention appends to the KV cache, applies the causal mask and lets each KV head serve its
 * group of query heads. That is about a quarter of the nodes a layer of standard operators takes, and on
 * WebGPU a decoding step costs per node dispatched, not per multiply.
 *
 * GroupQueryAttention reads the mask as each sequence's length (keys = ones of attention_mask, right
 * padding only): exact for the single, unpadded sequence that Glimpse and transformers.js' chat decode.
 */

import { float32ToFloat16 } from '../../engine/runtime/float16';
import type { LlamaConfig, LlamaLayerWeights, LlamaWeights } from '../llama2c/checkpoint';
import { type FloatAttr, float, GraphBuilder, MS_DOMAIN, type SerializedModel } from '../onnx/graph';

/**
 * Applies a Linear layer to `x` (last axis inFeatures → outFeatures); `weight` is a Hugging Face Linear
 * weight [out, in], row-major. Returns the output value's name.
 */
export type LinearFn = (
  g: GraphBuilder,
  x: string,
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  name: string,
) => string;

/** MatMul with the transposed weight [in, out] as a float32 initializer. */
export const floatLinear: LinearFn = (g, x, weight, outFeatures, inFeatures, name) => {
  const transposed = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) transposed[i * outFeatures + o] = weight[o * inFeatures + i] ?? 0;
  }
  const w = g.initializer(`${name}.weight`, 'float32', [inFeatures, outFeatures], transposed);
  return g.op('MatMul', [x, w], {}, { name });
};

export interface DecoderOptions {
  readonly linear?: LinearFn;
  /**
   * The static-cache step graph (decoder_model_static): past and present are one buffer the length of
   * the context, which GroupQueryAttention updates in place when the caller binds the same GPU buffer to
   * both; the lengths come in as int32 inputs (seqlens_k, total_sequence_length) instead of an
   * attention mask whose Shape grows; only the last position reaches lm_head, and `next_token` is its
   * argmax, so a greedy step reads back 4 bytes. No value's shape depends on the cache length, which is
   * what lets onnxruntime's WebGPU provider capture the step once and replay it.
   */
  readonly staticCache?: boolean;
  /**
   * The merged decoder's attention: onnxruntime's GroupQueryAttention (the default), or 'concat', the
   * plain operators of the transformers.js exports on the Hub (made by Optimum from PyTorch): each present
   * is Concat(past, new rows), and a MatMul, the mask and a Softmax attend over it. The look-alike Hub
   * packages use it, so that the engine meets the cache the way those files hand it over.
   */
  readonly attention?: 'group-query' | 'concat';
  /** With the 'concat' attention: the cache in half floats, as the Hub's q4f16 and fp16 exports keep it. */
  readonly kvFloat16?: boolean;
}

/** A decoder layer's weights; Qwen2 adds biases to the q, k and v projections. */
export interface DecoderLayerWeights extends LlamaLayerWeights {
  readonly qBias?: Float32Array;
  readonly kBias?: Float32Array;
  readonly vBias?: Float32Array;
}

/**
 * The weights of a Llama-family decoder, handed out part by part as the graph is built, so that a
 * converter can read them from disk one layer at a time instead of holding the model in memory.
 */
export interface DecoderWeightSource {
  readonly config: LlamaConfig;
  layer(index: number): DecoderLayerWeights;
  norm(): Float32Array;
  /** [vocabSize, hidden] */
  lmHead(): Float32Array;
}

export function inMemoryDecoderSource(weights: LlamaWeights): DecoderWeightSource {
  return {
    config: weights.config,
    layer: (index) => {
      const layer = weights.layers[index];
      if (!layer) throw new Error(`missing weights of layer ${index}`);
      return layer;
    },
    norm: () => weights.norm,
    lmHead: () => weights.lmHead,
  };
}

const FLOAT = 1; // TensorProto.FLOAT
const INT32 = 6; // TensorProto.INT32
const BOOL = 9; // TensorProto.BOOL
const FLOAT16 = 10; // TensorProto.FLOAT16

export function buildLlamaDecoder(weights: LlamaWeights, options: DecoderOptions = {}): SerializedModel {
  const g = new GraphBuilder('llama_decoder');
  addLlamaDecoder(g, inMemoryDecoderSource(weights), options);
  return g.serialize({ docString: DECODER_DOC });
}

export const DECODER_DOC = 'Llama decoder with KV cache (transformers.js decoder_model_merged layout)';

export function buildStaticDecoder(weights: LlamaWeights, options: DecoderOptions = {}): SerializedModel {
  const g = new GraphBuilder('llama_decoder_static');
  addLlamaDecoder(g, inMemoryDecoderSource(weights), { ...options, staticCache: true });
  return g.serialize({ docString: STATIC_DECODER_DOC });
}

export const STATIC_DECODER_DOC = 'Llama decoder step over a static KV cache shared by past and present';

/** Adds the whole decoder (inputs, layers, outputs) to `g`, reading the weights from `source` in order. */
export function addLlamaDecoder(
  g: GraphBuilder,
  source: DecoderWeightSource,
  options: DecoderOptions = {},
): void {
  addLlamaDecoders([{ g, options }], source);
}

/**
 * Adds a decoder to each graph (the merged and the static-cache variant, say) in one pass over `source`:
 * every layer's weights are read once and handed to all of them, so a converter reads the checkpoint once.
 */
export function addLlamaDecoders(
  graphs: readonly { readonly g: GraphBuilder; readonly options: DecoderOptions }[],
  source: DecoderWeightSource,
): void {
  const decoders = graphs.map(({ g, options }) => startDecoder(g, source.config, options));
  for (let i = 0; i < source.config.numLayers; i++) {
    const weights = source.layer(i);
    for (const decoder of decoders) decoder.layer(i, weights);
  }
  const norm = source.norm();
  const lmHead = source.lmHead();
  for (const decoder of decoders) decoder.finish(norm, lmHead);
}

/** A decoder graph under construction: its inputs are declared, its layers and outputs come as weights arrive. */
interface DecoderInProgress {
  layer(index: number, weights: DecoderLayerWeights): void;
  finish(norm: Float32Array, lmHead: Float32Array): void;
}

function startDecoder(g: GraphBuilder, config: LlamaConfig, options: DecoderOptions): DecoderInProgress {
  const staticCache = options.staticCache === true;
  const pastLength = staticCache ? 'max_length' : 'past_sequence_length';
  const kvShape = ['batch_size', config.numKvHeads, pastLength, config.headDim];
  const embeds = g.input('inputs_embeds', 'float32', ['batch_size', 'sequence_length', config.hiddenSize]);
  const lengths = staticCache
    ? {
        seqlensK: g.input('seqlens_k', 'int32', ['batch_size']),
        total: g.input('total_sequence_length', 'int32', []),
      }
    : attentionLengths(g, g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']));
  const kvType = options.attention === 'concat' && !staticCache && options.kvFloat16 ? 'float16' : 'float32';
  const concatMask =
    options.attention === 'concat' && !staticCache
      ? concatAttentionMask(g, config, 'attention_mask')
      : undefined;
  // onnxruntime's WebGPU GroupQueryAttention rotates only heads of a multiple of 16 values.
  const rotaryInAttention = staticCache && config.headDim % 16 === 0;
  const positionIds = rotaryInAttention
    ? ''
    : g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  for (let i = 0; i < config.numLayers; i++) {
    g.input(`past_key_values.${i}.key`, kvType, kvShape);
    g.input(`past_key_values.${i}.value`, kvType, kvShape);
  }
  const context: LayerContext = {
    config,
    linear: options.linear ?? floatLinear,
    epsilon: float(config.rmsNormEps),
    rope: ropeCaches(g, config, positionIds),
    rotaryInAttention,
    lengths,
    concatMask,
    kvFloat16: kvType === 'float16',
  };
  const presentLength = staticCache ? 'max_length' : 'total_sequence_length';
  const presentShape = ['batch_size', config.numKvHeads, presentLength, config.headDim];
  let stream: ResidualStream = { residual: embeds, delta: undefined };
  return {
    layer: (i, weights) => {
      const out = decoderLayer(g, context, i, weights, stream);
      stream = out.stream;
      g.output(`present.${i}.key`, kvType, presentShape, out.presentKey);
      g.output(`present.${i}.value`, kvType, presentShape, out.presentValue);
    },
    finish: (norm, lmHead) => addLogits(g, context, stream, norm, lmHead, staticCache),
  };
}

/** The final norm, lm_head and the logits outputs (and next_token, for the static-cache step). */
function addLogits(
  g: GraphBuilder,
  context: LayerContext,
  stream: ResidualStream,
  norm: Float32Array,
  lmHead: Float32Array,
  staticCache: boolean,
): void {
  const { config } = context;
  const [normed] = addAndNorm(g, context, stream, norm, 'model.norm');
  if (staticCache) {
    const last = g.op(
      'Slice',
      [
        normed,
        g.int64('logits.last', [-1]),
        g.int64('logits.end', [Number.MAX_SAFE_INTEGER]),
        g.int64('logits.axis1', [1]),
      ],
      {},
      { name: 'logits/last' },
    );
    // Where the engine captures the graph, it gives these logits a kernel of their own
    // (engine/decoder/captured-logits-graph.ts), so that a replay refreshes them.
    const logits = context.linear(g, last, lmHead, config.vocabSize, config.hiddenSize, 'lm_head');
    g.output('logits', 'float32', ['batch_size', 1, config.vocabSize], logits);
    const best = g.op('ArgMax', [logits], { axis: -1, keepdims: 0 }, { name: 'next_token/argmax' });
    g.output(
      'next_token',
      'int32',
      ['batch_size', 1],
      g.op('Cast', [best], { to: INT32 }, { name: 'next_token/cast' }),
    );
    return;
  }
  // Only the last num_logits_to_keep positions go through lm_head (all of them when it is 0, as in
  // transformers): a prompt's prefill then projects one row onto the vocabulary, not one per token.
  const keep = g.input('num_logits_to_keep', 'int64', []);
  const first = g.op('Neg', [g.op('Unsqueeze', [keep, g.int64('logits.axis0', [0])])]);
  const end = g.int64('logits.end', [Number.MAX_SAFE_INTEGER]);
  const kept = g.op('Slice', [normed, first, end, g.int64('logits.axis1', [1])], {}, { name: 'logits/kept' });
  const logits = context.linear(g, kept, lmHead, config.vocabSize, config.hiddenSize, 'lm_head');
  g.output('logits', 'float32', ['batch_size', 'kept_length', config.vocabSize], logits);
}

interface LayerContext {
  readonly config: LlamaConfig;
  readonly linear: LinearFn;
  readonly epsilon: FloatAttr;
  readonly rope: { readonly positionIds: string; readonly cos: string; readonly sin: string };
  readonly rotaryInAttention: boolean;
  readonly lengths: { readonly seqlensK: string; readonly total: string };
  /** The additive mask [batch, 1, heads / kvHeads × new positions, total positions] of the 'concat' attention. */
  readonly concatMask: string | undefined;
  /** The 'concat' attention's cache is float16: cast to float32 to attend, the present cast back. */
  readonly kvFloat16: boolean;
}

/** The residual stream and the output of the last block, not yet added to it. */
interface ResidualStream {
  readonly residual: string;
  readonly delta: string | undefined;
}

/** cos and sin of every position's angles [maxPositions, headDim / 2], for RotaryEmbedding. */
function ropeCaches(g: GraphBuilder, config: LlamaConfig, positionIds: string): LayerContext['rope'] {
  const { headDim, maxPositions, ropeTheta } = config;
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let i = 0; i < half; i++) {
    const invFreq = 1 / ropeTheta ** ((2 * i) / headDim);
    for (let p = 0; p < maxPositions; p++) {
      cos[p * half + i] = Math.cos(p * invFreq);
      sin[p * half + i] = Math.sin(p * invFreq);
    }
  }
  return {
    positionIds,
    cos: g.initializer('rope.cos_cache', 'float32', [maxPositions, half], cos),
    sin: g.initializer('rope.sin_cache', 'float32', [maxPositions, half], sin),
  };
}

/** GroupQueryAttention's view of the mask: each sequence's last key index (int32 [batch]) and the total length. */
function attentionLengths(g: GraphBuilder, mask: string): LayerContext['lengths'] {
  const keys = g.op('ReduceSum', [mask, g.int64('gqa.mask_axis', [1])], { keepdims: 0 });
  const lastKey = g.op('Sub', [keys, g.int64('gqa.one', [1], [])]);
  const total = g.op('Squeeze', [g.op('Shape', [mask], { start: 1, end: 2 }), g.int64('gqa.axis', [0])]);
  return {
    seqlensK: g.op('Cast', [lastKey], { to: INT32 }, { name: 'gqa/seqlens_k' }),
    total: g.op('Cast', [total], { to: INT32 }, { name: 'gqa/total_sequence_length' }),
  };
}

/**
 * The 'concat' attention's additive mask: 0 where new position s (at past + s) may see key t (t ≤ past + s
 * and attention_mask[t] = 1), −3.4e38 elsewhere; [batch, 1, S, T] repeated heads / kvHeads times along its
 * third axis, the query rows of one KV head's group of heads lying one after another.
 */
function concatAttentionMask(g: GraphBuilder, config: LlamaConfig, mask: string): string {
  const scalar = (x: string, name: string) => g.op('Squeeze', [x, g.int64(`${name}.axis`, [0])]);
  const total = scalar(g.op('Shape', [mask], { start: 1, end: 2 }), 'mask/total');
  // The past length from the cache's own shape, as the exports take it.
  const past = scalar(g.op('Shape', ['past_key_values.0.key'], { start: 2, end: 3 }), 'mask/past');
  const one = g.int64('mask.one', [1], []);
  const keys = g.op('Range', [g.int64('mask.zero', [0], []), total, one]);
  const queries = g.op('Range', [past, total, one]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keys, g.int64('mask.row_axis', [0])]),
    g.op('Unsqueeze', [queries, g.int64('mask.column_axis', [1])]),
  ]);
  const padding = g.op('Unsqueeze', [
    g.op('Cast', [mask], { to: BOOL }),
    g.int64('mask.padding_axes', [1, 2]),
  ]);
  const allowed = g.op('And', [causal, padding]);
  const additive = g.op('Where', [
    allowed,
    g.float32('mask.open', [0], []),
    g.float32('mask.shut', [-3.4e38], []),
  ]);
  const groups = config.numHeads / config.numKvHeads;
  return g.op(
    'Tile',
    [additive, g.int64('mask.groups', [1, 1, groups, 1])],
    {},
    { name: 'attention_mask/additive' },
  );
}

/**
 * The attention of the transformers.js exports: the present is Concat(past, new rows); each KV head's
 * group of query heads attends as one [groups × S] block of rows (MatMul, mask, Softmax, MatMul).
 */
function concatAttention(
  g: GraphBuilder,
  config: LlamaConfig,
  index: number,
  q: string,
  k: string,
  v: string,
  mask: string,
  kvFloat16: boolean,
): [string, string, string] {
  const { numHeads, numKvHeads, headDim } = config;
  const p = `model.layers.${index}/attention`;
  const cast = (x: string, to: number) => (kvFloat16 ? g.op('Cast', [x], { to }) : x);
  const toHeads = (x: string, heads: number, name: string) =>
    g.op('Transpose', [g.op('Reshape', [x, g.int64(`${p}.${name}_shape`, [0, 0, heads, headDim])])], {
      perm: [0, 2, 1, 3],
    });
  const rows = (x: string, kind: 'key' | 'value') =>
    g.op(
      'Concat',
      [cast(`past_key_values.${index}.${kind}`, FLOAT), toHeads(x, numKvHeads, kind)],
      { axis: 2 },
      { name: `${p}/present_${kind}` },
    );
  const keys = rows(k, 'key');
  const values = rows(v, 'value');
  // [batch, heads, S, headDim] → [batch, kvHeads, groups × S, headDim]
  const queries = g.op('Reshape', [
    toHeads(q, numHeads, 'query'),
    g.int64(`${p}.grouped`, [0, numKvHeads, -1, headDim]),
  ]);
  const scores = g.op('Mul', [
    g.op('MatMul', [queries, g.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]),
    g.float32(`${p}.scale`, [1 / Math.sqrt(headDim)], []),
  ]);
  const weights = g.op('Softmax', [g.op('Add', [scores, mask])], { axis: -1 });
  const attended = g.op('Reshape', [
    g.op('MatMul', [weights, values]),
    g.int64(`${p}.heads`, [0, numHeads, -1, headDim]),
  ]);
  const merged = g.op('Reshape', [
    g.op('Transpose', [attended], { perm: [0, 2, 1, 3] }),
    g.int64(`${p}.merged`, [0, 0, numHeads * headDim]),
  ]);
  return [merged, cast(keys, FLOAT16), cast(values, FLOAT16)];
}

/** Adds the pending block output to the residual stream and RMS-norms the sum: [normed, residual]. */
function addAndNorm(
  g: GraphBuilder,
  context: LayerContext,
  stream: ResidualStream,
  weight: Float32Array,
  name: string,
): [string, string] {
  const gamma = g.initializer(`${name}.weight`, 'float32', [weight.length], weight);
  const { epsilon } = context;
  if (stream.delta === undefined) {
    const normed = g.op(
      'SimplifiedLayerNormalization',
      [stream.residual, gamma],
      { axis: -1, epsilon },
      { name },
    );
    return [normed, stream.residual];
  }
  const [normed, , , sum] = g.node(
    'SkipSimplifiedLayerNormalization',
    [stream.delta, stream.residual, gamma],
    { epsilon },
    { domain: MS_DOMAIN, outputs: 4, name },
  );
  if (normed === undefined || sum === undefined) throw new Error('unreachable: norm without outputs');
  return [normed, sum];
}

function decoderLayer(
  g: GraphBuilder,
  context: LayerContext,
  index: number,
  layer: DecoderLayerWeights,
  stream: ResidualStream,
): { stream: ResidualStream; presentKey: string; presentValue: string } {
  const { config, linear, rope, lengths } = context;
  const { hiddenSize: dim, numHeads, numKvHeads, headDim, intermediateSize: inter } = config;
  const p = `model.layers.${index}`;

  const [normed, residual] = addAndNorm(g, context, stream, layer.inputNorm, `${p}.input_layernorm`);
  const project = (weight: Float32Array, bias: Float32Array | undefined, heads: number, name: string) => {
    const y = linear(g, normed, weight, heads * headDim, dim, name);
    if (!bias) return y;
    const b = g.initializer(`${name}.bias`, 'float32', [bias.length], bias);
    return g.op('Add', [y, b], {}, { name: `${name}/bias` });
  };
  const rotate = (x: string, heads: number, name: string): string =>
    g.op(
      'RotaryEmbedding',
      [x, rope.positionIds, rope.cos, rope.sin],
      { interleaved: 0, num_heads: heads },
      { domain: MS_DOMAIN, name },
    );
  const qProj = project(layer.q, layer.qBias, numHeads, `${p}.self_attn.q_proj`);
  const kProj = project(layer.k, layer.kBias, numKvHeads, `${p}.self_attn.k_proj`);
  const v = project(layer.v, layer.vBias, numKvHeads, `${p}.self_attn.v_proj`);
  // The static step rotates inside GroupQueryAttention (do_rotary), at the positions its lengths imply:
  // no position_ids input, one kernel fewer per projection.
  const inAttention = context.rotaryInAttention;
  const q = inAttention ? qProj : rotate(qProj, numHeads, `${p}/q_rope`);
  const k = inAttention ? kProj : rotate(kProj, numKvHeads, `${p}/k_rope`);
  const [attended, presentKey, presentValue] = context.concatMask
    ? concatAttention(g, config, index, q, k, v, context.concatMask, context.kvFloat16)
    : g.node(
        'GroupQueryAttention',
        [
          q,
          k,
          v,
          `past_key_values.${index}.key`,
          `past_key_values.${index}.value`,
          lengths.seqlensK,
          lengths.total,
          ...(inAttention ? [rope.cos, rope.sin] : []),
        ],
        { num_heads: numHeads, kv_num_heads: numKvHeads, ...(inAttention ? { do_rotary: 1 } : {}) },
        { domain: MS_DOMAIN, outputs: 3, name: `${p}/attention` },
      );
  if (attended === undefined || presentKey === undefined || presentValue === undefined)
    throw new Error('unreachable: attention without outputs');
  const attnOut = linear(g, attended, layer.o, dim, numHeads * headDim, `${p}.self_attn.o_proj`);

  const [normed2, residual2] = addAndNorm(
    g,
    context,
    { residual, delta: attnOut },
    layer.postNorm,
    `${p}.post_attention_layernorm`,
  );
  const gate = linear(g, normed2, layer.gate, inter, dim, `${p}.mlp.gate_proj`);
  const up = linear(g, normed2, layer.up, inter, dim, `${p}.mlp.up_proj`);
  const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])], {}, { name: `${p}/silu` });
  const down = linear(g, g.op('Mul', [silu, up]), layer.down, dim, inter, `${p}.mlp.down_proj`);
  return { stream: { residual: residual2, delta: down }, presentKey, presentValue };
}

/** input_ids int64 [batch, sequence] → inputs_embeds float32 [batch, sequence, dim]: a Gather of the table. */
export function buildEmbedTokens(embedTokens: Float32Array, rows: number, dim: number): SerializedModel {
  const g = new GraphBuilder('embed_tokens');
  addEmbedTokens(g, embedTokens, rows, dim);
  return g.serialize({ docString: 'token embedding table' });
}

/**
 * Adds the embedding graph to `g`. With `float16`, the table is stored as half floats (half the bytes) and
 * the gathered rows are widened to float32, so the decoder's input stays float32.
 */
export function addEmbedTokens(
  g: GraphBuilder,
  embedTokens: Float32Array,
  rows: number,
  dim: number,
  options: { readonly float16?: boolean } = {},
): void {
  if (embedTokens.length !== rows * dim)
    throw new Error(`embedding table has ${embedTokens.length} values, not ${rows}×${dim}`);
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const name = 'model.embed_tokens.weight';
  const table = options.float16
    ? g.initializer(name, 'float16', [rows, dim], float32ToFloat16(embedTokens))
    : g.initializer(name, 'float32', [rows, dim], embedTokens);
  const gathered = g.op('Gather', [table, ids], { axis: 0 });
  const embeds = options.float16 ? g.op('Cast', [gathered], { to: FLOAT }) : gathered;
  g.output('inputs_embeds', 'float32', ['batch_size', 'sequence_length', dim], embeds);
}
