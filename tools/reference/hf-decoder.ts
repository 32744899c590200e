/**
 * An independent forward pass of a Hugging Face Llama-family decoder (Llama, Mistral, Qwen2) in plain
 * TypeScript, one token at a time with its own KV cache: RoPE on the two halves of each head
 * (rotate_half), optional q/k/v biases (Qwen2), grouped-query attention, SwiGLU MLP. It reads the
 * Hugging Face layout directly and shares no code with the ONNX builders it checks.
 */
import type { LlamaConfig } from '../../src/toolkit/llama2c/checkpoint';

export interface ReferenceLayer {
  readonly inputNorm: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly o: Float32Array;
  readonly postNorm: Float32Array;
  readonly gate: Float32Array;
  readonly up: Float32Array;
  readonly down: Float32Array;
  readonly qBias?: Float32Array;
  readonly kBias?: Float32Array;
  readonly vBias?: Float32Array;
}

export interface ReferenceWeights {
  readonly config: LlamaConfig;
  readonly embedTokens: Float32Array;
  readonly layers: readonly ReferenceLayer[];
  readonly norm: Float32Array;
  readonly lmHead: Float32Array;
}

/** y = W·x (+ b) for W [out, in] row-major. */
function linear(w: Float32Array, x: Float32Array, out: number, bias?: Float32Array): Float32Array {
  const n = x.length;
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let sum = bias?.[o] ?? 0;
    for (let i = 0; i < n; i++) sum += (w[o * n + i] ?? 0) * (x[i] ?? 0);
    y[o] = sum;
  }
  return y;
}

function rmsNorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array {
  let sum = 0;
  for (const v of x) sum += v * v;
  const scale = 1 / Math.sqrt(sum / x.length + eps);
  return x.map((v, i) => v * scale * (weight[i] ?? 0));
}

/** Rotates element i of each head with element i + headDim/2 by pos·theta^(−2i/headDim). */
function ropeHalves(vec: Float32Array, pos: number, headDim: number, theta: number): void {
  const half = headDim / 2;
  for (let h = 0; h < vec.length / headDim; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / theta ** ((2 * i) / headDim);
      const a = vec[h * headDim + i] ?? 0;
      const b = vec[h * headDim + i + half] ?? 0;
      vec[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
      vec[h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }
}

export class HfDecoderReference {
  private readonly keys: Float32Array[][] = [];
  private readonly values: Float32Array[][] = [];

  private readonly weights: ReferenceWeights;

  constructor(weights: ReferenceWeights) {
    this.weights = weights;
    for (let l = 0; l < weights.config.numLayers; l++) {
      this.keys.push([]);
      this.values.push([]);
    }
  }

  /** Feeds one token at the next position; returns its logits. */
  forward(token: number): Float32Array {
    const { config, layers } = this.weights;
    const { hiddenSize: d, numHeads, numKvHeads, headDim, intermediateSize: ff, rmsNormEps: eps } = config;
    const pos = this.keys[0]?.length ?? 0;
    let x = this.weights.embedTokens.slice(token * d, (token + 1) * d);
    layers.forEach((layer, l) => {
      const keys = this.keys[l] ?? [];
      const values = this.values[l] ?? [];
      const h = rmsNorm(x, layer.inputNorm, eps);
      const q = linear(layer.q, h, numHeads * headDim, layer.qBias);
      const k = linear(layer.k, h, numKvHeads * headDim, layer.kBias);
      keys.push(k);
      values.push(linear(layer.v, h, numKvHeads * headDim, layer.vBias));
      ropeHalves(q, pos, headDim, config.ropeTheta);
      ropeHalves(k, pos, headDim, config.ropeTheta);
      const attended = new Float32Array(numHeads * headDim);
      for (let head = 0; head < numHeads; head++) {
        const kvHead = Math.floor(head / (numHeads / numKvHeads));
        const scores = keys.map((key) => {
          let dot = 0;
          for (let i = 0; i < headDim; i++)
            dot += (q[head * headDim + i] ?? 0) * (key[kvHead * headDim + i] ?? 0);
          return dot / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let i = 0; i < headDim; i++) {
          let acc = 0;
          values.forEach((value, t) => {
            acc += ((exps[t] ?? 0) / total) * (value[kvHead * headDim + i] ?? 0);
          });
          attended[head * headDim + i] = acc;
        }
      }
      const projected = linear(layer.o, attended, d);
      const afterAttention = x.map((v, i) => v + (projected[i] ?? 0));
      const h2 = rmsNorm(afterAttention, layer.postNorm, eps);
      const gate = linear(layer.gate, h2, ff);
      const up = linear(layer.up, h2, ff);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] ?? 0));
      const down = linear(layer.down, act, d);
      x = afterAttention.map((v, i) => v + (down[i] ?? 0));
    });
    return linear(this.weights.lmHead, rmsNorm(x, this.weights.norm, eps), config.vocabSize);
  }
}
