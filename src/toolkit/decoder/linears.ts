/**
 * The Linear layers of each package dtype, all with float32 inputs and outputs so that the graphs around
 * them (norms, softmax, residuals) stay float32 on every adapter:
 * fp16 keeps the weight as half floats and runs the MatMul in half precision; q4f16 is MatMulNBits with
 * half-precision activations and scales (both need shader-f16 under WebGPU); quantized (uint8 weights)
 * and int8 are 8-bit MatMulInteger, the fast form on the wasm backend.
 */
import { float32ToFloat16 } from '../../engine/runtime/float16';
import { type GraphBuilder, MS_DOMAIN } from '../onnx/graph';
import { int8Linear } from '../quantize/matmulinteger';
import { ACCURACY_LEVEL, BLOCK_SIZE, q4Linear, quantizeQ4 } from '../quantize/matmulnbits';
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

export const fp16Linear: LinearFn = (g, x, weight, outFeatures, inFeatures, name) => {
  const w = g.initializer(
    `${name}.weight`,
    'float16',
    [inFeatures, outFeatures],
    float32ToFloat16(transpose(weight, outFeatures, inFeatures)),
  );
  return inHalf(g, x, name, (half) => g.op('MatMul', [half, w], {}, { name }));
};

export const q4f16Linear: LinearFn = (g, x, weight, outFeatures, inFeatures, name) => {
  const q = quantizeQ4(weight, outFeatures, inFeatures);
  const packed = g.initializer(`${name}.weight_q4`, 'uint8', [q.n, q.kBlocks, BLOCK_SIZE / 2], q.packed);
  const scales = g.initializer(
    `${name}.weight_scales`,
    'float16',
    [q.n, q.kBlocks],
    float32ToFloat16(q.scales),
  );
  return inHalf(g, x, name, (half) =>
    g.op(
      'MatMulNBits',
      [half, packed, scales],
      { K: inFeatures, N: outFeatures, bits: 4, block_size: BLOCK_SIZE, accuracy_level: ACCURACY_LEVEL },
      { domain: MS_DOMAIN, name },
    ),
  );
};

export const LINEAR_OF: Record<PackageDtype, LinearFn> = {
  fp32: floatLinear,
  fp16: fp16Linear,
  q4: q4Linear,
  q4f16: q4f16Linear,
  quantized: int8Linear(false),
  int8: int8Linear(true),
};
