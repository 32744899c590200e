/**
 * An independent forward pass of a SigLIP vision tower in plain TypeScript (float64, no ONNX), from the
 * SigLIP definition: biased patch convolution plus position embeddings (no class token, no pre-LayerNorm),
 * pre-norm encoder layers with the tanh GELU; the feature is hidden_states[featureLayer], as LLaVA takes it.
 */
import type { SiglipVisionWeights } from '../../src/toolkit/vision/siglip-weights';
import { siglipPatches } from '../../src/toolkit/vision/siglip-weights';
import { add, at, layerNorm, linear, type Matrix, map, selfAttention } from './clip';

function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

function embed(weights: SiglipVisionWeights, pixels: Float32Array): Matrix {
  const { imageSize: size, patchSize: patch, channels, hiddenSize } = weights.config;
  const perSide = Math.floor(size / patch);
  const rows = siglipPatches(weights.config);
  const data = new Float64Array(rows * hiddenSize);
  for (let row = 0; row < rows; row++) {
    const py = Math.floor(row / perSide);
    const px = row % perSide;
    for (let o = 0; o < hiddenSize; o++) {
      let sum = at(weights.patchBias, o) + at(weights.positionEmbedding, row * hiddenSize + o);
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
  return { rows, cols: hiddenSize, data };
}

/** Features of one image [channels, size, size]: hidden_states[featureLayer], 'full' or without row 0. */
export function referenceSiglipFeatures(
  weights: SiglipVisionWeights,
  pixels: Float32Array,
  strategy: 'default' | 'full',
): Float32Array {
  const { numHeads, layerNormEps: eps, featureLayer } = weights.config;
  const hiddenStates = [embed(weights, pixels)];
  for (const layer of weights.layers) {
    const x = hiddenStates[hiddenStates.length - 1];
    if (x === undefined) throw new Error('unreachable: no hidden state');
    const attended = add(x, selfAttention(layerNorm(x, layer.layerNorm1, eps), layer, numHeads));
    const up = map(linear(layerNorm(attended, layer.layerNorm2, eps), layer.fc1), geluTanh);
    hiddenStates.push(add(attended, linear(up, layer.fc2)));
  }
  const chosen = hiddenStates.at(featureLayer);
  if (chosen === undefined) throw new Error(`vision feature layer ${featureLayer} is out of range`);
  return Float32Array.from(strategy === 'full' ? chosen.data : chosen.data.subarray(chosen.cols));
}
