/**
 * 8-bit Linear weights in the form onnxruntime's dynamic quantisation writes (the Hub exports' "quantized"
 * files): DynamicQuantizeLinear rounds the activations to uint8 per tensor, MatMulInteger multiplies them
 * with 8-bit weights, and the int32 sums are scaled back to float32. Weights are quantised symmetrically
 * per output channel: uint8 with zero point 128 (the "quantized" and "uint8" files) or int8 with zero point
 * 0 (the "int8" files). Under onnxruntime-web's wasm backend this runs its SIMD integer
 * GEMM, many times faster than MatMulNBits (tools/profile/linear-kernels.ts, bench/README.md).
 */
import type { LinearFn } from '../decoder/llama-graph';
import type { GraphBuilder } from '../onnx/graph';

const FLOAT = 1; // TensorProto.FLOAT

export interface Int8Weight {
  /** [k, n]: the transposed weight, as MatMulInteger's B; uint8 around 128 or int8 around 0. */
  readonly quantized: Uint8Array | Int8Array;
  /** [n]: one scale per output channel. */
  readonly scales: Float32Array;
}

/** Quantises a Hugging Face Linear weight [n = out, k = in]: scale = max |w| / 127 per output row. */
export function quantizeInt8(weight: Float32Array, n: number, k: number, signed: boolean): Int8Weight {
  if (weight.length !== n * k) throw new Error(`weight has ${weight.length} values, not ${n}×${k}`);
  const quantized = signed ? new Int8Array(n * k) : new Uint8Array(n * k);
  const zeroPoint = signed ? 0 : 128;
  const scales = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    let max = 0;
    for (let col = 0; col < k; col++) max = Math.max(max, Math.abs(weight[row * k + col] ?? 0));
    // Rounded to float32 first, so that quantising and dequantising use the very scale the model stores.
    const scale = Math.fround(max / 127);
    scales[row] = scale;
    for (let col = 0; col < k; col++) {
      const q = scale === 0 ? 0 : Math.round((weight[row * k + col] ?? 0) / scale);
      quantized[col * n + row] = zeroPoint + Math.max(-127, Math.min(127, q));
    }
  }
  return { quantized, scales };
}

/** y = x · Wᵀ from an 8-bit weight already quantised (or drawn at random, for benchmark packages). */
export function int8MatMul(
  g: GraphBuilder,
  x: string,
  weight: Int8Weight,
  n: number,
  k: number,
  name: string,
) {
  const [xq = '', xScale = '', xZero = ''] = g.node(
    'DynamicQuantizeLinear',
    [x],
    {},
    { outputs: 3, name: `${name}/quantize_input` },
  );
  const { quantized } = weight;
  const [w, wZero] =
    quantized instanceof Int8Array
      ? [
          g.initializer(`${name}.weight_quantized`, 'int8', [k, n], quantized),
          g.initializer(`${name}.weight_zero_point`, 'int8', [], Int8Array.of(0)),
        ]
      : [
          g.initializer(`${name}.weight_quantized`, 'uint8', [k, n], quantized),
          g.initializer(`${name}.weight_zero_point`, 'uint8', [], Uint8Array.of(128)),
        ];
  const sums = g.op('MatMulInteger', [xq, w, xZero, wZero], {}, { name });
  const wScales = g.initializer(`${name}.weight_scale`, 'float32', [n], weight.scales);
  const scale = g.op('Mul', [xScale, wScales], {}, { name: `${name}/scale` });
  return g.op(
    'Mul',
    [g.op('Cast', [sums], { to: FLOAT }, { name: `${name}/to_float` }), scale],
    {},
    {
      name: `${name}/output`,
    },
  );
}

/** The decoder and vision builders' LinearFn for 8-bit weights, unsigned or signed. */
export function int8Linear(signed: boolean): LinearFn {
  return (g, x, weight, outFeatures, inFeatures, name) =>
    int8MatMul(g, x, quantizeInt8(weight, outFeatures, inFeatures, signed), outFeatures, inFeatures, name);
}
