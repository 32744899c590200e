/**
 * The Linear layers of each package dtype, all with float32 inputs and outputs so that the graphs around
 * them (norms, softmax, residuals) stay float32 on every adapter:
 * fp16 keeps the weight as half floats and runs the MatMul in half precision; q4f16 is MatMulNBits with
 * half-precision activations and scales (both need shader-f16 under WebGPU); quantized (uint8 weights)
 * and int8 are 8-bit MatMulInteger, the fast form on the wasm backend.
 */
import { float32ToFloat16 } from '../../engine/runtime/float16';
import type { GraphBuilder } from '../onnx/graph';
import { int8Linear } from '../quantize/matmulinteger';
import {
  DEFAULT_Q4_BLOCK_SIZE,
  matMulNBits,
  type Q4BlockSize,
  q4Linear,
  quantizeQ4,
} from '../quantize/matmulnbits';
import { floatLinear, type LinearFn } from './llama-graph';

const FLOAT = 1; // TensorProto.FLOAT
const FLOAT16 = 10; // TensorProto.FLOAT16

export type PackageDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'quantized' | 'int8';
export const PACKAGE_DTYPES: readonly PackageDtype[] = ['fp32', 'fp16', 'q4', 'q4f16', 'quantized', 'int8'];

function transpose(weight: Float32Array, outFeatures: number, inFeatures: number): Float32Array {
  const out = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) out[i * outFeatures + o] = weight[o * inFeatures + i] ?? 0;
  }
  return out;
}

function inHalf(g: GraphBuilder, x: string, name: string, body: (half: string) => string): string {
  const half = g.op('Cast', [x], { to: FLOAT16 }, { name: `${name}/to_fp16` });
  return g.op('Cast', [body(half)], { to: FLOAT }, { name: `${name}/to_fp32` });
}

const fp16Linear: LinearFn = (g, x, weight, outFeatures, inFeatures, name) => {
  const w = g.initializer(
    `${name}.weight`,
    'float16',
    [inFeatures, outFeatures],
    float32ToFloat16(transpose(weight, outFeatures, inFeatures)),
  );
  return inHalf(g, x, name, (half) => g.op('MatMul', [half, w], {}, { name }));
};

/** MatMulNBits on half-precision activations, with half-precision scales. */
function q4f16Linear(blockSize: Q4BlockSize): LinearFn {
  return (g, x, weight, outFeatures, inFeatures, name) =>
    inHalf(g, x, name, (half) =>
      matMulNBits(g, half, quantizeQ4(weight, outFeatures, inFeatures, blockSize), name, 'float16'),
    );
}

/** The Linear layers of a dtype; `q4BlockSize` sets the 4-bit dtypes' blocks (glimpse convert --block-size). */
export function linearOf(dtype: PackageDtype, q4BlockSize: Q4BlockSize = DEFAULT_Q4_BLOCK_SIZE): LinearFn {
  switch (dtype) {
    case 'fp32':
      return floatLinear;
    case 'fp16':
      return fp16Linear;
    case 'q4':
      return q4Linear(q4BlockSize);
    case 'q4f16':
      return q4f16Linear(q4BlockSize);
    case 'quantized':
      return int8Linear(false);
    case 'int8':
      return int8Linear(true);
  }
}
