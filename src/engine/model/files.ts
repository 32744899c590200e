/** Which ONNX file serves each part of a package, per dtype and backend. */
import type { Backend } from '../runtime/ort';
import type { Dtype, ModelPart } from '../types';

export const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  quantized: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  bnb4: '_bnb4',
};

const ALL_DTYPES: readonly Dtype[] = ['q4f16', 'fp16', 'q4', 'quantized', 'fp32', 'int8', 'uint8', 'bnb4'];

export function partFile(part: ModelPart, dtype: Dtype): string {
  return `onnx/${part}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/**
 * The dtypes to try for a part, best first, ending with every other dtype so that a package with only
 * one variant still loads. 4-bit embedding tables are as large as fp32 ones (Hub exports quantise no
 * Gather), so embed_tokens prefers fp16: on WebGPU only with shader-f16; on wasm always, since its Gather
 * copies half floats as they are and the engine widens the rows it reads.
 */
export function dtypePreference(part: ModelPart, backend: Backend, shaderF16: boolean): Dtype[] {
  let preferred: Dtype[];
  if (part === 'embed_tokens') {
    preferred = backend === 'webgpu' && !shaderF16 ? ['fp32', 'quantized', 'fp16'] : ['fp16', 'fp32'];
  } else if (backend === 'webgpu') {
    preferred = shaderF16 ? ['q4f16', 'fp16', 'q4', 'fp32'] : ['q4', 'fp32', 'quantized'];
  } else {
    preferred = ['q4', 'quantized', 'fp32'];
  }
  return [...preferred, ...ALL_DTYPES.filter((dtype) => !preferred.includes(dtype))];
}
