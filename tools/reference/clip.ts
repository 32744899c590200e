/**
 * An independent forward pass of the tiny-llava vision tower and projector in plain TypeScript (float64
 * arithmetic, no ONNX), written from the CLIP and LLaVA-1.5 definitions: it runs every encoder layer,
 * keeps every hidden state and picks the feature layer the way Python indexes hidden_states.
 */
import type {
  ClipLayerWeights,
  ClipVisionWeights,
  LayerNormWeights,
  LinearWeights,
  ProjectorWeights,
} from '../../src/toolkit/vision/clip-weights';

/** A row-major matrix of `rows` × `cols`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function at(values: ArrayLike<number>, i: number): number {
  const v = values[i];
  if (v === undefined) throw new Error(`index ${i} is out of range`);
  return v;
}

export function linear(x: Matrix, w: LinearWeights): Matrix {
  if (x.cols !== w.inFeatures) throw new Error(`linear expects ${w.inFeatures} inputs, got ${x.cols}`);
  const out = new Float64Array(x.rows * w.outFeatures);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < w.outFeatures; o++) {
      let sum = at(w.bias, o);
      for (let i = 0; i < w.inFeatures; i++)
        sum += at(x.data, r * x.cols + i) * at(w.weight, o * w.inFeatures + i);
      out[r * w.outFeatures + o] = sum;
    }
  }
  return { rows: x.rows, cols: w.outFeatures, data: out };
}

export function layerNorm(x: Matrix, w: LayerNormWeights, eps: number): Matrix {
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.rows; r++) {
    const row = x.data.subarray(r * x.cols, (r + 1) * x.cols);
    const mean = row.reduce((a, b) => a + b, 0) / x.cols;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / x.cols;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < x.cols; c++) {
      out[r * x.cols + c] = (at(row, c) - mean) * inv * at(w.weight, c) + at(w.bias, c);
    }
  }
  return { rows: x.rows, cols: x.cols, data: out };
}

export function add(a: Matrix, b: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + at(b.data, i)) };
}

export function map(x: Matrix, f: (v: number) => number): Matrix {
  return { rows: x.rows, cols: x.cols, data: x.data.map(f) };
}

export function selfAttention(x: Matrix, layer: ClipLayerWeights, heads: number): Matrix {
  const q = linear(x, layer.qProj);
  const k = linear(x, layer.kProj);
  const v = linear(x, layer.vProj);
  const headDim = x.cols / heads;
  const scale = 1 / Math.sqrt(headDim);
  const context = new Float64Array(x.rows * x.cols);
  const scores = new Float64Array(x.rows);
  for (let h = 0; h < heads; h++) {
    const offset = h * headDim;
    for (let i = 0; i < x.rows; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < x.rows; j++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) {
          dot += at(q.data, i * x.cols + offset + d) * at(k.data, j * x.cols + offset + d);
        }
        scores[j] = dot * scale;
        max = Math.max(max, dot * scale);
      }
      let total = 0;
      for (let j = 0; j < x.rows; j++) {
        scores[j] = Math.exp(at(scores, j) - max);
        total += at(scores, j);
      }
      for (let j = 0; j < x.rows; j++) {
        const p = at(scores, j) / total;
        for (let d = 0; d < headDim; d++) {
          context[i * x.cols + offset + d] =
            at(context, i * x.cols + offset + d) + p * at(v.data, j * x.cols + offset + d);
        }
      }
    }
  }
  return linear({ rows: x.rows, cols: x.cols, data: context }, layer.outProj);
}

function encoderLayer(x: Matrix, layer: ClipLayerWeights, heads: number, eps: number): Matrix {
  const attended = add(x, selfAttention(layerNorm(x, layer.layerNorm1, eps), layer, heads));
  const up = linear(layerNorm(attended, layer.layerNorm2, eps), layer.fc1);
  const activated = map(up, (v) => v / (1 + Math.exp(-1.702 * v)));
  return add(attended, linear(activated, layer.fc2));
}

/** Patch embedding (a stride-`patch` convolution without bias), class token and position embeddings. */
function embed(weights: ClipVisionWeights, pixels: Float32Array): Matrix {
  const { imageSize: size, patchSize: patch, channels, hiddenSize } = weights.config;
  const perSide = size / patch;
  const rows = perSide * perSide + 1;
  const data = new Float64Array(rows * hiddenSize);
  for (let o = 0; o < hiddenSize; o++) data[o] = at(weights.classEmbedding, o);
  for (let py = 0; py < perSide; py++) {
    for (let px = 0; px < perSide; px++) {
      const row = 1 + py * perSide + px;
      for (let o = 0; o < hiddenSize; o++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) {
          for (let y = 0; y < patch; y++) {
            for (let x = 0; x < patch; x++) {
              const pixel = at(pixels, (c * size + py * patch + y) * size + px * patch + x);
              sum += pixel * at(weights.patchEmbedding, ((o * channels + c) * patch + y) * patch + x);
            }
          }
        }
        data[row * hiddenSize + o] = sum;
      }
    }
  }
  for (let i = 0; i < data.length; i++) data[i] = at(data, i) + at(weights.positionEmbedding, i);
  return { rows, cols: hiddenSize, data };
}

/**
 * Vision features of one image, pixels [channels, size, size]: the hidden state at `featureLayer` (0 is
 * the pre-LayerNorm output, k the output of layer k) without the CLS row → [patches × hidden].
 */
export function referenceVisionFeatures(weights: ClipVisionWeights, pixels: Float32Array): Float32Array {
  const { numHeads, layerNormEps, featureLayer } = weights.config;
  const hiddenStates = [layerNorm(embed(weights, pixels), weights.preLayerNorm, layerNormEps)];
  for (const layer of weights.layers) {
    const last = hiddenStates[hiddenStates.length - 1];
    if (last === undefined) throw new Error('unreachable: no hidden state');
    hiddenStates.push(encoderLayer(last, layer, numHeads, layerNormEps));
  }
  const chosen = hiddenStates.at(featureLayer);
  if (chosen === undefined) throw new Error(`vision feature layer ${featureLayer} is out of range`);
  return Float32Array.from(chosen.data.subarray(chosen.cols));
}

/** mlp2x_gelu over feature rows [rows × vision hidden] → [rows × text hidden]. */
export function referenceProjector(weights: ProjectorWeights, features: Float32Array): Float32Array {
  const rows = features.length / weights.linear1.inFeatures;
  const x: Matrix = { rows, cols: weights.linear1.inFeatures, data: Float64Array.from(features) };
  const hidden = map(linear(x, weights.linear1), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  return Float32Array.from(linear(hidden, weights.linear2).data);
}

/**
 * The error function, by its Maclaurin series for |x| < 3 and by the continued fraction of erfc beyond;
 * both to well under 1e-12, far below float32 rounding.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  let result: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 80 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …))))
    let fraction = z;
    for (let n = 60; n >= 1; n--) fraction = z + n / 2 / fraction;
    result = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
  }
  return x < 0 ? -result : result;
}
