/**
 * The llama2.c checkpoint format (version 0) and its conversion to the Hugging Face Llama layout.
 * Header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len as int32; a negative
 * vocab_size means the output head is stored separately instead of sharing the token embedding.
 */

export interface LlamaConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
}

/** One layer in llama2.c's own layout: matrices [out, in] row-major, RoPE on adjacent pairs. */
export interface Llama2cLayer {
  readonly rmsAtt: Float32Array;
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly wo: Float32Array;
  readonly rmsFfn: Float32Array;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  readonly w3: Float32Array;
}

export interface Llama2cCheckpoint {
  readonly config: LlamaConfig;
  readonly tokenEmbedding: Float32Array;
  readonly layers: readonly Llama2cLayer[];
  readonly rmsFinal: Float32Array;
  /** The token embedding itself when the head is shared. */
  readonly classifier: Float32Array;
  readonly sharedClassifier: boolean;
}

/** One layer in the Hugging Face layout (LlamaDecoderLayer): Linear weights [out, in], RoPE on halves. */
export interface LlamaLayerWeights {
  readonly inputNorm: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly o: Float32Array;
  readonly postNorm: Float32Array;
  readonly gate: Float32Array;
  readonly up: Float32Array;
  readonly down: Float32Array;
}

export interface LlamaWeights {
  readonly config: LlamaConfig;
  /** [rows, hidden]; rows may exceed config.vocabSize when tokens were added to the vocabulary. */
  readonly embedTokens: Float32Array;
  readonly layers: readonly LlamaLayerWeights[];
  readonly norm: Float32Array;
  /** [vocabSize, hidden] */
  readonly lmHead: Float32Array;
}

const HEADER_INTS = 7;
/** llama2.c trains with these and stores neither. */
const RMS_NORM_EPS = 1e-5;
const ROPE_THETA = 10000;

export function readLlama2cCheckpoint(bytes: Uint8Array): Llama2cCheckpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = Array.from({ length: HEADER_INTS }, (_, i) => view.getInt32(i * 4, true));
  const [dim = 0, hidden = 0, numLayers = 0, numHeads = 0, numKvHeads = 0, signedVocab = 0, seqLen = 0] =
    header;
  const vocab = Math.abs(signedVocab);
  if (dim <= 0 || hidden <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || vocab === 0) {
    throw new Error(`not a llama2.c checkpoint: header ${header.join(', ')}`);
  }
  const headDim = dim / numHeads;
  const kvDim = numKvHeads * headDim;
  // Copy into an aligned buffer: a file's bytes need not start on a 4-byte boundary.
  const floatCount = Math.floor((bytes.byteLength - HEADER_INTS * 4) / 4);
  const floats = new Float32Array(bytes.slice(HEADER_INTS * 4, HEADER_INTS * 4 + floatCount * 4).buffer);
  let at = 0;
  const take = (count: number): Float32Array => {
    if (at + count > floats.length) throw new Error('llama2.c checkpoint is truncated');
    const out = floats.subarray(at, at + count);
    at += count;
    return out;
  };
  const perLayer = (size: number): Float32Array[] => {
    const all = take(numLayers * size);
    return Array.from({ length: numLayers }, (_, l) => all.subarray(l * size, (l + 1) * size));
  };
  const tokenEmbedding = take(vocab * dim);
  const rmsAtt = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const rmsFfn = perLayer(dim);
  const w1 = perLayer(hidden * dim);
  const w2 = perLayer(dim * hidden);
  const w3 = perLayer(hidden * dim);
  const rmsFinal = take(dim);
  take(seqLen * (headDim / 2) * 2); // the legacy RoPE tables, recomputed by every runtime
  const sharedClassifier = signedVocab > 0;
  const classifier = sharedClassifier ? tokenEmbedding : take(vocab * dim);
  const layers = Array.from({ length: numLayers }, (_, l) => {
    const pick = (list: Float32Array[]): Float32Array => {
      const w = list[l];
      if (!w) throw new Error(`missing layer ${l}`);
      return w;
    };
    return {
      rmsAtt: pick(rmsAtt),
      wq: pick(wq),
      wk: pick(wk),
      wv: pick(wv),
      wo: pick(wo),
      rmsFfn: pick(rmsFfn),
      w1: pick(w1),
      w2: pick(w2),
      w3: pick(w3),
    };
  });
  const config: LlamaConfig = {
    hiddenSize: dim,
    intermediateSize: hidden,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: vocab,
    maxPositions: seqLen,
    rmsNormEps: RMS_NORM_EPS,
    ropeTheta: ROPE_THETA,
  };
  return { config, tokenEmbedding, layers, rmsFinal, classifier, sharedClassifier };
}

/**
 * Reorders the rows of a q or k projection [heads·headDim, in] so that Hugging Face's RoPE, which
 * rotates element i with element i + headDim/2, computes what llama2.c computes by rotating the
 * adjacent pair (2i, 2i+1): row 2i of a head moves to i, row 2i+1 to i + headDim/2
 * (`permute` in transformers' convert_llama_weights_to_hf).
 */
export function permuteForHalfRotation(weight: Float32Array, heads: number, headDim: number): Float32Array {
  const inFeatures = weight.length / (heads * headDim);
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (const [from, to] of [
        [2 * i, i],
        [2 * i + 1, i + half],
      ] as const) {
        const src = (h * headDim + from) * inFeatures;
        out.set(weight.subarray(src, src + inFeatures), (h * headDim + to) * inFeatures);
      }
    }
  }
  return out;
}

export function toHuggingFaceLlama(checkpoint: Llama2cCheckpoint): LlamaWeights {
  const { config } = checkpoint;
  return {
    config,
    embedTokens: checkpoint.tokenEmbedding.slice(),
    layers: checkpoint.layers.map((layer) => ({
      inputNorm: layer.rmsAtt.slice(),
      q: permuteForHalfRotation(layer.wq, config.numHeads, config.headDim),
      k: permuteForHalfRotation(layer.wk, config.numKvHeads, config.headDim),
      v: layer.wv.slice(),
      o: layer.wo.slice(),
      postNorm: layer.rmsFfn.slice(),
      gate: layer.w1.slice(),
      up: layer.w3.slice(),
      down: layer.w2.slice(),
    })),
    norm: checkpoint.rmsFinal.slice(),
    lmHead: checkpoint.classifier.slice(),
  };
}
