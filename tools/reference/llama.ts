/**
 * An independent Llama forward pass in plain TypeScript, straight from the llama2.c layout (as run.c
 * computes it: RoPE on adjacent pairs, no weight permutation, no ONNX), with its own KV cache. It is the
 * reference that the ONNX decoder's continuations are checked against.
 */
import type { Llama2cCheckpoint } from '../../src/toolkit/llama2c/checkpoint';

/** out[o] = Σ_i w[o, i]·x[i] for a row-major [out, in] matrix. */
function matVec(out: Float32Array, w: Float32Array, x: Float32Array): void {
  const n = x.length;
  for (let o = 0; o < out.length; o++) {
    let sum = 0;
    const row = o * n;
    for (let i = 0; i < n; i++) sum += (w[row + i] ?? 0) * (x[i] ?? 0);
    out[o] = sum;
  }
}

function rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  let sumSquares = 0;
  for (const v of x) sumSquares += v * v;
  const scale = 1 / Math.sqrt(sumSquares / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = (weight[i] ?? 0) * ((x[i] ?? 0) * scale);
}

/** Rotates each adjacent pair (2i, 2i+1) of every head by pos·theta^(−2i/headDim). */
function ropeAdjacentPairs(vec: Float32Array, pos: number, headDim: number, theta: number): void {
  for (let i = 0; i < vec.length; i += 2) {
    const freq = 1 / theta ** ((i % headDim) / headDim);
    const angle = pos * freq;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const a = vec[i] ?? 0;
    const b = vec[i + 1] ?? 0;
    vec[i] = a * cos - b * sin;
    vec[i + 1] = a * sin + b * cos;
  }
}

export class Llama2cReference {
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  private position = 0;

  private readonly model: Llama2cCheckpoint;

  constructor(model: Llama2cCheckpoint) {
    this.model = model;
    const { numLayers, maxPositions, numKvHeads, headDim } = model.config;
    this.keys = Array.from(
      { length: numLayers },
      () => new Float32Array(maxPositions * numKvHeads * headDim),
    );
    this.values = Array.from(
      { length: numLayers },
      () => new Float32Array(maxPositions * numKvHeads * headDim),
    );
  }

  /** Feeds one token at the next position and returns the logits over the vocabulary. */
  forward(token: number): Float32Array {
    const { config, layers } = this.model;
    const { hiddenSize: dim, numHeads, numKvHeads, headDim, intermediateSize, rmsNormEps: eps } = config;
    const pos = this.position;
    if (pos >= config.maxPositions)
      throw new Error(`position ${pos} is past the context of ${config.maxPositions}`);
    const kvDim = numKvHeads * headDim;
    const groups = numHeads / numKvHeads;
    const x = this.model.tokenEmbedding.slice(token * dim, (token + 1) * dim);
    const xb = new Float32Array(dim);
    const q = new Float32Array(dim);
    const k = new Float32Array(kvDim);
    const v = new Float32Array(kvDim);
    const attended = new Float32Array(dim);
    const projected = new Float32Array(dim);
    const h1 = new Float32Array(intermediateSize);
    const h3 = new Float32Array(intermediateSize);
    const scores = new Float32Array(pos + 1);
    layers.forEach((layer, l) => {
      const keyCache = this.keys[l];
      const valueCache = this.values[l];
      if (!keyCache || !valueCache) throw new Error(`no cache for layer ${l}`);
      rmsNorm(xb, x, layer.rmsAtt, eps);
      matVec(q, layer.wq, xb);
      matVec(k, layer.wk, xb);
      matVec(v, layer.wv, xb);
      ropeAdjacentPairs(q, pos, headDim, config.ropeTheta);
      ropeAdjacentPairs(k, pos, headDim, config.ropeTheta);
      keyCache.set(k, pos * kvDim);
      valueCache.set(v, pos * kvDim);
      for (let h = 0; h < numHeads; h++) {
        const kvOffset = Math.floor(h / groups) * headDim;
        let max = Number.NEGATIVE_INFINITY;
        for (let t = 0; t <= pos; t++) {
          let dot = 0;
          for (let i = 0; i < headDim; i++)
            dot += (q[h * headDim + i] ?? 0) * (keyCache[t * kvDim + kvOffset + i] ?? 0);
          const score = dot / Math.sqrt(headDim);
          scores[t] = score;
          max = Math.max(max, score);
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) {
          const e = Math.exp((scores[t] ?? 0) - max);
          scores[t] = e;
          sum += e;
        }
        for (let i = 0; i < headDim; i++) {
          let acc = 0;
          for (let t = 0; t <= pos; t++)
            acc += ((scores[t] ?? 0) / sum) * (valueCache[t * kvDim + kvOffset + i] ?? 0);
          attended[h * headDim + i] = acc;
        }
      }
      matVec(projected, layer.wo, attended);
      for (let i = 0; i < dim; i++) x[i] = (x[i] ?? 0) + (projected[i] ?? 0);
      rmsNorm(xb, x, layer.rmsFfn, eps);
      matVec(h1, layer.w1, xb);
      matVec(h3, layer.w3, xb);
      for (let i = 0; i < intermediateSize; i++) {
        const a = h1[i] ?? 0;
        h1[i] = (a / (1 + Math.exp(-a))) * (h3[i] ?? 0);
      }
      matVec(projected, layer.w2, h1);
      for (let i = 0; i < dim; i++) x[i] = (x[i] ?? 0) + (projected[i] ?? 0);
    });
    rmsNorm(xb, x, this.model.rmsFinal, eps);
    const logits = new Float32Array(config.vocabSize);
    matVec(logits, this.model.classifier, xb);
    this.position++;
    return logits;
  }

  /** Greedy continuation of `promptIds`: the new ids, stopping after `stopId`. */
  greedy(promptIds: readonly number[], maxNewTokens: number, stopId?: number): number[] {
    let logits: Float32Array | undefined;
    for (const id of promptIds) logits = this.forward(id);
    const generated: number[] = [];
    while (logits && generated.length < maxNewTokens) {
      let best = 0;
      for (let i = 1; i < logits.length; i++) if ((logits[i] ?? 0) > (logits[best] ?? 0)) best = i;
      generated.push(best);
      if (best === stopId || generated.length === maxNewTokens) break;
      logits = this.forward(best);
    }
    return generated;
  }
}
