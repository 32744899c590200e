/**
 * Symmetric 4-bit block quantisation of Linear weights to com.microsoft MatMulNBits (bits 4, block 32,
 * no zero points, so the zero point is 8). Activations stay float32, so the graphs run on adapters
 * without shader-f16.
 */
import { type GraphBuilder, MS_DOMAIN } from '../onnx/graph';

export const BLOCK_SIZE = 32;
/** Lets the runtime compute in int8 after quantising activations per block: the fast WebGPU path. */
export const ACCURACY_LEVEL = 4;
const ZERO_POINT = 8;

export interface Q4Weight {
  /** [N, kBlocks, BLOCK_SIZE / 2]: element 2i of a block in the low nibble of byte i, 2i+1 in the high one. */
  readonly packed: Uint8Array;
  /** [N, kBlocks] */
  readonly scales: Float32Array;
  readonly n: number;
  readonly k: number;
  readonly kBlocks: number;
}

/**
 * Quantises a Hugging Face Linear weight [out = n, in = k] block by block along k; a last block that k
 * does not fill is padded with zeros. For each block, scale = -m/8 where m is the value of largest
 * magnitude, so m maps to 0 and every other value to round(w/scale) + 8 clamped to [0, 15] (only -m
 * clamps, by one step).
 */
export function quantizeQ4(weight: Float32Array, n: number, k: number): Q4Weight {
  if (weight.length !== n * k) throw new Error(`weight has ${weight.length} values, not ${n}×${k}`);
  const kBlocks = Math.ceil(k / BLOCK_SIZE);
  const packed = new Uint8Array(n * kBlocks * (BLOCK_SIZE / 2));
  const scales = new Float32Array(n * kBlocks);
  const block = new Float32Array(BLOCK_SIZE);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      block.fill(0);
      const start = b * BLOCK_SIZE;
      const end = Math.min(start + BLOCK_SIZE, k);
      block.set(weight.subarray(row * k + start, row * k + end));
      let extreme = 0;
      for (const w of block) if (Math.abs(w) > Math.abs(extreme)) extreme = w;
      // Rounded to float32 first, so that quantising and dequantising use the very scale the model stores.
      const scale = extreme === 0 ? 0 : Math.fround(-extreme / ZERO_POINT);
      scales[row * kBlocks + b] = scale;
      const base = (row * kBlocks + b) * (BLOCK_SIZE / 2);
      for (let i = 0; i < BLOCK_SIZE; i += 2) {
        const low = quantizeValue(block[i] ?? 0, scale);
        const high = quantizeValue(block[i + 1] ?? 0, scale);
        packed[base + i / 2] = low | (high << 4);
      }
    }
  }
  return { packed, scales, n, k, kBlocks };
}

function quantizeValue(w: number, scale: number): number {
  if (scale === 0) return ZERO_POINT;
  return Math.min(15, Math.max(0, Math.round(w / scale) + ZERO_POINT));
}

/** The float weight [n, k] that a quantised one stands for. */
export function dequantizeQ4(q: Q4Weight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  for (let row = 0; row < q.n; row++) {
    for (let col = 0; col < q.k; col++) {
      const b = Math.floor(col / BLOCK_SIZE);
      const i = col % BLOCK_SIZE;
      const byte = q.packed[(row * q.kBlocks + b) * (BLOCK_SIZE / 2) + (i >> 1)] ?? 0;
      const nibble = i % 2 === 0 ? byte & 0x0f : byte >> 4;
      out[row * q.k + col] = (nibble - ZERO_POINT) * (q.scales[row * q.kBlocks + b] ?? 0);
    }
  }
  return out;
}

/**
 * y = x · Wᵀ through MatMulNBits, for x [..., inFeatures] and a Hugging Face Linear weight
 * [outFeatures, inFeatures]. Same signature as the decoder builder's LinearFn.
 */
export function q4Linear(
  g: GraphBuilder,
  x: string,
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  name: string,
): string {
  const q = quantizeQ4(weight, outFeatures, inFeatures);
  const packed = g.initializer(`${name}.weight_q4`, 'uint8', [q.n, q.kBlocks, BLOCK_SIZE / 2], q.packed);
  const scales = g.initializer(`${name}.weight_scales`, 'float32', [q.n, q.kBlocks], q.scales);
  return g.op(
    'MatMulNBits',
    [x, packed, scales],
    { K: inFeatures, N: outFeatures, bits: 4, block_size: BLOCK_SIZE, accuracy_level: ACCURACY_LEVEL },
    { domain: MS_DOMAIN, name },
  );
}
