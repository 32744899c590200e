/**
 * The Llama decoder as an ONNX graph of plain operators, in the I/O convention of transformers.js and
 * the Hub's browser exports (decoder_model_merged: inputs_embeds, attention_mask, position_ids,
 * past_key_values.N.key/value → logits, present.N.key/value), and the token-embedding graph beside it.
 * No contrib attention: head sizes below 16 rule out the CPU GroupQueryAttention, and both
 * onnxruntime-web backends run these operators.
 */

import type { LlamaConfig, LlamaLayerWeights, LlamaWeights } from '../llama2c/checkpoint';
import { GraphBuilder, type SerializedModel, toFloat16Bits } from '../onnx/graph';

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
const BOOL = 9; // TensorProto.BOOL
/** The mask value for excluded keys: the most negative float32, as transformers does, so rows never turn NaN. */
const MASKED_SCORE = -3.4028234663852886e38;

/** Constants shared by every layer. */
interface Shared {
  readonly lastAxis: string;
  readonly eps: string;
}

function rmsNorm(g: GraphBuilder, shared: Shared, x: string, weight: Float32Array, name: string): string {
  const squared = g.op('Mul', [x, x], {}, { name: `${name}/square` });
  const meanSquare = g.op(
    'ReduceMean',
    [squared, shared.lastAxis],
    { keepdims: 1 },
    { name: `${name}/mean` },
  );
  const rms = g.op('Sqrt', [g.op('Add', [meanSquare, shared.eps], {}, { name: `${name}/add_eps` })]);
  const normed = g.op('Mul', [x, g.op('Reciprocal', [rms])], {}, { name: `${name}/scale` });
  const w = g.initializer(`${name}.weight`, 'float32', [weight.length], weight);
  return g.op('Mul', [normed, w], {}, { name });
}

interface Rope {
  readonly cos: string;
  readonly sin: string;
  readonly halves: string;
}

/** cos and sin [batch, sequence, 1, headDim] of each position, angles repeated over both halves of a head. */
function ropeTables(g: GraphBuilder, config: LlamaConfig, positionIds: string): Rope {
  const half = config.headDim / 2;
  const invFreq = Float32Array.from(
    { length: half },
    (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim),
  );
  const positions = g.op('Unsqueeze', [
    g.op('Cast', [positionIds], { to: FLOAT }),
    g.int64('rope.axis2', [2]),
  ]);
  const freqs = g.op('Mul', [positions, g.initializer('rope.inv_freq', 'float32', [half], invFreq)]);
  const angles = g.op('Concat', [freqs, freqs], { axis: -1 });
  const headAxis = g.int64('rope.head_axis', [2]);
  return {
    cos: g.op('Unsqueeze', [g.op('Cos', [angles]), headAxis], {}, { name: 'rope.cos' }),
    sin: g.op('Unsqueeze', [g.op('Sin', [angles]), headAxis], {}, { name: 'rope.sin' }),
    halves: g.int64('rope.halves', [half, half]),
  };
}

/** Hugging Face rotary embedding on [batch, sequence, heads, headDim]: x·cos + rotate_half(x)·sin. */
function applyRope(g: GraphBuilder, rope: Rope, x: string, name: string): string {
  const [first, second] = g.node(
    'Split',
    [x, rope.halves],
    { axis: -1 },
    { outputs: 2, name: `${name}/split` },
  );
  if (first === undefined || second === undefined) throw new Error('unreachable: Split without two outputs');
  const rotated = g.op(
    'Concat',
    [g.op('Neg', [second]), first],
    { axis: -1 },
    { name: `${name}/rotate_half` },
  );
  return g.op(
    'Add',
    [g.op('Mul', [x, rope.cos]), g.op('Mul', [rotated, rope.sin])],
    {},
    { name: `${name}/rotated` },
  );
}

/**
 * Boolean [batch, 1, 1, sequence, total] mask: query i (absolute position past + i) sees key j when
 * j ≤ past + i and attention_mask[j] is 1. The extra axes broadcast over KV heads and query groups.
 */
function attentionMask(g: GraphBuilder, inputsEmbeds: string, attentionMaskInput: string): string {
  const scalar = (value: string, name: string): string =>
    g.op('Squeeze', [value, g.int64(`${name}.axis`, [0])], {}, { name });
  const total = scalar(g.op('Shape', [attentionMaskInput], { start: 1, end: 2 }), 'mask/total');
  const sequence = scalar(g.op('Shape', [inputsEmbeds], { start: 1, end: 2 }), 'mask/sequence');
  const past = g.op('Sub', [total, sequence], {}, { name: 'mask/past' });
  const zero = g.initializer('mask.zero', 'int64', [], BigInt64Array.of(0n));
  const one = g.initializer('mask.one', 'int64', [], BigInt64Array.of(1n));
  const keys = g.op('Range', [zero, total, one], {}, { name: 'mask/keys' });
  const queries = g.op('Range', [past, total, one], {}, { name: 'mask/queries' });
  const causal = g.op(
    'LessOrEqual',
    [keys, g.op('Unsqueeze', [queries, g.int64('mask.col', [1])])],
    {},
    {
      name: 'mask/causal',
    },
  );
  const padding = g.op('Unsqueeze', [
    g.op('Cast', [attentionMaskInput], { to: BOOL }),
    g.int64('mask.axes', [1, 2, 3]),
  ]);
  return g.op('And', [causal, padding], {}, { name: 'mask/combined' });
}

interface LayerValues {
  readonly hidden: string;
  readonly presentKey: string;
  readonly presentValue: string;
}

function decoderLayer(
  g: GraphBuilder,
  source: DecoderWeightSource,
  index: number,
  hidden: string,
  context: { shared: Shared; rope: Rope; mask: string; linear: LinearFn },
): LayerValues {
  const { config } = source;
  const layer = source.layer(index);
  const { shared, rope, mask, linear } = context;
  const p = `model.layers.${index}`;
  const { hiddenSize: dim, numHeads, numKvHeads, headDim } = config;
  const groups = numHeads / numKvHeads;
  const qDim = numHeads * headDim;
  const kvDim = numKvHeads * headDim;

  const normed = rmsNorm(g, shared, hidden, layer.inputNorm, `${p}.input_layernorm`);
  const heads = (x: string, count: number, name: string): string =>
    g.op('Reshape', [x, g.int64(`${name}.shape`, [0, 0, count, headDim])], {}, { name });
  const project = (
    weight: Float32Array,
    bias: Float32Array | undefined,
    out: number,
    name: string,
  ): string => {
    const y = linear(g, normed, weight, out, dim, name);
    if (!bias) return y;
    return g.op(
      'Add',
      [y, g.initializer(`${name}.bias`, 'float32', [out], bias)],
      {},
      { name: `${name}/bias` },
    );
  };
  const q = applyRope(
    g,
    rope,
    heads(project(layer.q, layer.qBias, qDim, `${p}.self_attn.q_proj`), numHeads, `${p}/q`),
    `${p}/q_rope`,
  );
  const k = applyRope(
    g,
    rope,
    heads(project(layer.k, layer.kBias, kvDim, `${p}.self_attn.k_proj`), numKvHeads, `${p}/k`),
    `${p}/k_rope`,
  );
  const v = heads(project(layer.v, layer.vBias, kvDim, `${p}.self_attn.v_proj`), numKvHeads, `${p}/v`);

  // Query head h reads KV head floor(h / groups) (transformers' repeat_kv): group the query heads as
  // [kvHeads, groups] and let MatMul broadcast each KV head over its group instead of copying it.
  const grouped = g.op('Reshape', [q, g.int64(`${p}/q_groups.shape`, [0, 0, numKvHeads, groups, headDim])]);
  const queries = g.op('Transpose', [grouped], { perm: [0, 2, 3, 1, 4] }, { name: `${p}/queries` });
  const bhsd = { perm: [0, 2, 1, 3] };
  const presentKey = g.op('Concat', [`past_key_values.${index}.key`, g.op('Transpose', [k], bhsd)], {
    axis: 2,
  });
  const presentValue = g.op('Concat', [`past_key_values.${index}.value`, g.op('Transpose', [v], bhsd)], {
    axis: 2,
  });
  const groupAxis = g.int64(`${p}/group_axis`, [2]);
  const keysT = g.op('Transpose', [g.op('Unsqueeze', [presentKey, groupAxis])], { perm: [0, 1, 2, 4, 3] });
  const values = g.op('Unsqueeze', [presentValue, groupAxis]);

  const scale = g.float32(`${p}/scale`, [1 / Math.sqrt(headDim)], []);
  const scores = g.op('Mul', [g.op('MatMul', [queries, keysT]), scale], {}, { name: `${p}/scores` });
  const masked = g.op('Where', [mask, scores, g.float32(`${p}/masked`, [MASKED_SCORE], [])]);
  const probs = g.op('Softmax', [masked], { axis: -1 }, { name: `${p}/probs` });
  const attended = g.op('Transpose', [g.op('MatMul', [probs, values])], { perm: [0, 3, 1, 2, 4] });
  const merged = g.op('Reshape', [attended, g.int64(`${p}/merge.shape`, [0, 0, qDim])]);
  const attnOut = linear(g, merged, layer.o, dim, qDim, `${p}.self_attn.o_proj`);
  const afterAttn = g.op('Add', [hidden, attnOut], {}, { name: `${p}/attn_residual` });

  const normed2 = rmsNorm(g, shared, afterAttn, layer.postNorm, `${p}.post_attention_layernorm`);
  const inter = config.intermediateSize;
  const gate = linear(g, normed2, layer.gate, inter, dim, `${p}.mlp.gate_proj`);
  const up = linear(g, normed2, layer.up, inter, dim, `${p}.mlp.up_proj`);
  const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])], {}, { name: `${p}/silu` });
  const down = linear(g, g.op('Mul', [silu, up]), layer.down, dim, inter, `${p}.mlp.down_proj`);
  return {
    hidden: g.op('Add', [afterAttn, down], {}, { name: `${p}/mlp_residual` }),
    presentKey,
    presentValue,
  };
}

export function buildLlamaDecoder(weights: LlamaWeights, options: DecoderOptions = {}): SerializedModel {
  const g = new GraphBuilder('llama_decoder');
  addLlamaDecoder(g, inMemoryDecoderSource(weights), options);
  return g.serialize({ docString: DECODER_DOC });
}

export const DECODER_DOC = 'Llama decoder with KV cache (transformers.js decoder_model_merged layout)';

/** Adds the whole decoder (inputs, layers, outputs) to `g`, reading the weights from `source` in order. */
export function addLlamaDecoder(
  g: GraphBuilder,
  source: DecoderWeightSource,
  options: DecoderOptions = {},
): void {
  const { config } = source;
  const linear = options.linear ?? floatLinear;
  const kvShape = ['batch', config.numKvHeads, 'past_sequence_length', config.headDim];
  const inputsEmbeds = g.input('inputs_embeds', 'float32', ['batch', 'sequence_length', config.hiddenSize]);
  const mask = g.input('attention_mask', 'int64', ['batch', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'sequence_length']);
  for (let i = 0; i < config.numLayers; i++) {
    g.input(`past_key_values.${i}.key`, 'float32', kvShape);
    g.input(`past_key_values.${i}.value`, 'float32', kvShape);
  }
  const shared: Shared = {
    lastAxis: g.int64('norm.axes', [-1]),
    eps: g.float32('norm.eps', [config.rmsNormEps], []),
  };
  const context = {
    shared,
    rope: ropeTables(g, config, positionIds),
    mask: attentionMask(g, inputsEmbeds, mask),
    linear,
  };
  let hidden = inputsEmbeds;
  const presentShape = ['batch', config.numKvHeads, 'total_sequence_length', config.headDim];
  for (let i = 0; i < config.numLayers; i++) {
    const out = decoderLayer(g, source, i, hidden, context);
    hidden = out.hidden;
    g.output(`present.${i}.key`, 'float32', presentShape, out.presentKey);
    g.output(`present.${i}.value`, 'float32', presentShape, out.presentValue);
  }
  const normed = rmsNorm(g, shared, hidden, source.norm(), 'model.norm');
  const logits = linear(g, normed, source.lmHead(), config.vocabSize, config.hiddenSize, 'lm_head');
  g.output('logits', 'float32', ['batch', 'sequence_length', config.vocabSize], logits);
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
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence_length']);
  const name = 'model.embed_tokens.weight';
  const table = options.float16
    ? g.initializer(name, 'float16', [rows, dim], toFloat16Bits(embedTokens))
    : g.initializer(name, 'float32', [rows, dim], embedTokens);
  const gathered = g.op('Gather', [table, ids], { axis: 0 });
  const embeds = options.float16 ? g.op('Cast', [gathered], { to: FLOAT }) : gathered;
  g.output('inputs_embeds', 'float32', ['batch', 'sequence_length', dim], embeds);
}
