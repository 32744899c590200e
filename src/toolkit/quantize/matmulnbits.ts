/**
 * 4-bit block quantisation of Linear weights to com.microsoft MatMulNBits (bits 4), asymmetric: each
 * block has its own scale and zero point, as onnxruntime's own quantiser does by default. Activations
 * stay float32 (q4) or go half precision around the op (q4f16, in linears.ts).
 */
import { float32ToFloat16 } from '../../engine/runtime/float16';
import type { LinearFn } from '../decoder/llama-graph';
import { type GraphBuilder, MS_DOMAIN } from '../onnx/graph';

/** The block sizes MatMulNBits takes (powers of two from 16). */
export const Q4_BLOCK_SIZES = [16, 32, 64, 128] as const;
export type Q4BlockSize = (typeof Q4_BLOCK_SIZES)[number];
/** The Hub's q4 exports' block: one float scale per 32 weights, about 5 bits a weight in all. */
export const DEFAULT_Q4_BLOCK_SIZE: Q4BlockSize = 32;
/** Lets the runtime compute in int8 after quantising activations per block: the fast WebGPU path. */
export const ACCURACY_LEVEL = 4;
const LEVELS = 15;
const DEFAULT_ZERO_POINT = 8;

export interface Q4Weight {
  /** [N, kBlocks, blockSize / 2]: element 2i of a block in the low nibble of byte i, 2i+1 in the high one. */
  readonly packed: Uint8Array;
  /** [N, kBlocks] */
  readonly scales: Float32Array;
  /**
   * [N, ceil(kBlocks / 2)]: block 2j's zero point in the low nibble of byte j, block 2j+1's in the high.
   * Absent, every zero point is 8 (MatMulNBits' default, symmetric blocks).
   */
  readonly zeroPoints?: Uint8Array;
  readonly n: number;
  readonly k: number;
  readonly kBlocks: number;
  readonly blockSize: Q4BlockSize;
}

/**
 * Quantises a Hugging Face Linear weight [out = n, in = k] block by block along k; a last block that k
 * does not fill is padded with zeros. A block's range [lo, hi] (widened to hold 0, so that zero, and the
 * padding, stay exact) is cut into 15 steps: scale = (hi - lo) / 15 and the zero point is the nibble
 * nearest 0. All 16 nibbles serve the block, where a symmetric scale leaves half a range idle whenever a
 * block leans to one side: on shapes-llava, whose layers are 64 wide, that cost 2.7 points of its 1639
 * development questions, and these blocks 1.9 (tools/train/README.md, "Where q4 loses").
 */
export function quantizeQ4(
  weight: Float32Array,
  n: number,
  k: number,
  blockSize: Q4BlockSize = DEFAULT_Q4_BLOCK_SIZE,
): Required<Q4Weight> {
  if (weight.length !== n * k) throw new Error(`weight has ${weight.length} values, not ${n}×${k}`);
  const kBlocks = Math.ceil(k / blockSize);
  const zeroStride = Math.ceil(kBlocks / 2);
  const packed = new Uint8Array(n * kBlocks * (blockSize / 2));
  const scales = new Float32Array(n * kBlocks);
  const zeroPoints = new Uint8Array(n * zeroStride);
  const block = new Float32Array(blockSize);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      block.fill(0);
      const start = b * blockSize;
      block.set(weight.subarray(row * k + start, row * k + Math.min(start + blockSize, k)));
      let lo = 0;
      let hi = 0;
      for (const w of block) {
        lo = Math.min(lo, w);
        hi = Math.max(hi, w);
      }
      // Rounded to float32 first, so that quantising and dequantising use the very scale the model stores.
      const scale = Math.fround((hi - lo) / LEVELS);
      const zero = scale === 0 ? 0 : Math.min(LEVELS, Math.round(-lo / scale));
      scales[row * kBlocks + b] = scale;
      const at = row * zeroStride + (b >> 1);
      zeroPoints[at] = (zeroPoints[at] ?? 0) | (zero << ((b & 1) * 4));
      const base = (row * kBlocks + b) * (blockSize / 2);
      for (let i = 0; i < blockSize; i += 2) {
        const low = quantizeValue(block[i] ?? 0, scale, zero);
        const high = quantizeValue(block[i + 1] ?? 0, scale, zero);
        packed[base + i / 2] = low | (high << 4);
      }
    }
  }
  return { packed, scales, zeroPoints, n, k, kBlocks, blockSize };
}

function quantizeValue(w: number, scale: number, zero: number): number {
  if (scale === 0) return zero;
  return Math.min(LEVELS, Math.max(0, Math.round(w / scale) + zero));
}

function nibble(bytes: Uint8Array, index: number): number {
  const byte = bytes[index >> 1] ?? 0;
  return index % 2 === 0 ? byte & 0x0f : byte >> 4;
}

/** The float weight [n, k] that a quantised one stands for. */
export function dequantizeQ4(q: Q4Weight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  const zeroStride = Math.ceil(q.kBlocks / 2);
  for (let row = 0; row < q.n; row++) {
    const zeros = q.zeroPoints?.subarray(row * zeroStride, (row + 1) * zeroStride);
    for (let col = 0; col < q.k; col++) {
      const b = Math.floor(col / q.blockSize);
      const blockStart = (row * q.kBlocks + b) * (q.blockSize / 2);
      const value = nibble(q.packed.subarray(blockStart), col % q.blockSize);
      const zero = zeros ? nibble(zeros, b) : DEFAULT_ZERO_POINT;
      out[row * q.k + col] = (value - zero) * (q.scales[row * q.kBlocks + b] ?? 0);
    }
  }
  return out;
}

/**
 * The MatMulNBits node for x [..., k] and a quantised weight. The scales are stored in x's type
 * (`activations`), as the op requires.
 */
export function matMulNBits(
  g: GraphBuilder,
  x: string,
  q: Q4Weight,
  name: string,
  activations: 'float32' | 'float16' = 'float32',
): string {
  const packed = g.initializer(`${name}.weight_q4`, 'uint8', [q.n, q.kBlocks, q.blockSize / 2], q.packed);
  const dims = [q.n, q.kBlocks];
  const scales =
    activations === 'float16'
      ? g.initializer(`${name}.weight_scales`, 'float16', dims, float32ToFloat16(q.scales))
      : g.initializer(`${name}.weight_scales`, 'float32', dims, q.scales);
  const zeros = q.zeroPoints
    ? [g.initializer(`${name}.weight_zero_points`, 'uint8', [q.n, Math.ceil(q.kBlocks / 2)], q.zeroPoints)]
    : [];
  return g.op(
    'MatMulNBits',
    [x, packed, scales, ...zeros],
    { K: q.k, N: q.n, bits: 4, block_size: q.blockSize, accuracy_level: ACCURACY_LEVEL },
    { domain: MS_DOMAIN, name },
  );
}

/**
 * y = x · Wᵀ through MatMulNBits, for x [..., inFeatures] and a Hugging Face Linear weight
 * [outFeatures, inFeatures], in blocks of `blockSize`.
 */
export function q4Linear(blockSize: Q4BlockSize = DEFAULT_Q4_BLOCK_SIZE): LinearFn {
  return (g, x, weight, outFeatures, inFeatures, name) =>
    matMulNBits(g, x, quantizeQ4(weight, outFeatures, inFeatures, blockSize), name);
}
