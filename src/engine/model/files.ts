/**
 * Which ONNX file serves each part of a package, per dtype and device: the one rule the app, the worker,
 * the Hub download plan and the CLI all use, so the same device loads the same files everywhere.
 */
import { GlimpseError } from '../errors';
import type { Backend } from '../runtime/ort';
import type { Dtype, ModelPart } from '../types';

/** The file name suffix of each dtype, as the transformers.js layout writes it. */
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

export const DTYPES: readonly Dtype[] = Object.keys(DTYPE_SUFFIX).filter(
  (d): d is Dtype => d in DTYPE_SUFFIX,
);

export const MODEL_PARTS: readonly ModelPart[] = [
  'vision_encoder',
  'projector',
  'embed_tokens',
  'decoder_model_merged',
];

/** Where a model runs: WebGPU with half-precision shaders, WebGPU without them, or a CPU backend. */
export type DeviceClass = 'webgpu-f16' | 'webgpu' | 'wasm';

export const DEVICE_CLASSES: readonly DeviceClass[] = ['webgpu-f16', 'webgpu', 'wasm'];

export function deviceClass(backend: Backend, shaderF16: boolean): DeviceClass {
  if (backend !== 'webgpu') return 'wasm';
  return shaderF16 ? 'webgpu-f16' : 'webgpu';
}

export function partFile(part: ModelPart, dtype: Dtype): string {
  return `onnx/${part}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/**
 * The package's static-cache decode variants (toolkit/decoder/llama-graph.ts) a device loads in place of a
 * merged decoder file, in the order the loader tries them; the download plan lists the first the package
 * has, in the merged file's place. WebGPU captures the 4-bit graph for a 4-bit decoder, else the fp32 one. The CPU backends
 * (cpu-static-decoder.ts) take only the merged file's own dtype, so that answers stay the merged
 * decoder's: there the variant keeps the KV cache in place instead of handing it back whole each step.
 */
export function staticDecoderFiles(mergedFile: string, device: DeviceClass): readonly string[] {
  if (device === 'wasm') {
    const file = mergedFile.replace('decoder_model_merged', 'decoder_model_static');
    return file === mergedFile ? [] : [file];
  }
  const files = ['onnx/decoder_model_static.onnx', 'onnx/decoder_model_static_q4.onnx'];
  return mergedFile.includes('_q4') ? files.reverse() : files;
}

/** The part and dtype a package path names (`onnx/embed_tokens_fp16.onnx`), or undefined for other files. */
export function parsePartFile(path: string): { part: ModelPart; dtype: Dtype } | undefined {
  for (const part of MODEL_PARTS) {
    for (const dtype of DTYPES) if (path === partFile(part, dtype)) return { part, dtype };
  }
  return undefined;
}

const HALF: readonly Dtype[] = ['fp16', 'q4f16'];
/** After the preferred ones, any other variant, so that a package with only one still loads. */
const REST: readonly Dtype[] = ['q4', 'quantized', 'fp32', 'int8', 'uint8', 'bnb4', 'fp16', 'q4f16'];

/** WebGPU without shader-f16 cannot run half-precision files (the native WebGPU build rejects them). */
function runs(dtype: Dtype, device: DeviceClass): boolean {
  return device !== 'webgpu' || !HALF.includes(dtype);
}

/**
 * The dtypes a device may load for a part, best first. 4-bit embedding tables are as large as fp32 ones
 * (Hub exports quantise no Gather), so embed_tokens prefers fp16 wherever half floats are allowed: on wasm
 * its Gather copies them as they are and the engine widens the rows it reads. On WebGPU other parts prefer
 * 4-bit weights: a quarter of the download, and the form the Hub's exports are tuned for there. On the CPU
 * backends they prefer 8-bit MatMulInteger files: onnxruntime-web's wasm build has no SIMD kernel for
 * MatMulNBits and runs a q4 decoder step about 4× slower than an 8-bit one (bench/README.md, "The CPU
 * fallback"), while onnxruntime-node runs both at about the same speed; the download is ~1.4× larger.
 */
export function dtypePreference(part: ModelPart, device: DeviceClass): Dtype[] {
  let preferred: readonly Dtype[];
  if (part === 'embed_tokens') {
    preferred = device === 'webgpu' ? ['fp32', 'quantized'] : ['fp16', 'fp32'];
  } else if (device === 'webgpu-f16') {
    preferred = ['q4f16', 'q4', 'fp16', 'fp32'];
  } else if (device === 'webgpu') {
    preferred = ['q4', 'quantized', 'fp32'];
  } else {
    preferred = ['quantized', 'uint8', 'int8', 'q4', 'fp32'];
  }
  return [...preferred, ...REST.filter((dtype) => !preferred.includes(dtype))].filter((dtype) =>
    runs(dtype, device),
  );
}

/**
 * The file variant per part among the files a package has. A part with no file at all is left out (an
 * optional projector), so the engine decides and names what is missing; a part whose only files this
 * device cannot run is an error that says what to do.
 */
export function chooseDtypes(
  files: Iterable<string>,
  device: DeviceClass,
): Partial<Record<ModelPart, Dtype>> {
  const present = new Set(files);
  const chosen: Partial<Record<ModelPart, Dtype>> = {};
  for (const part of MODEL_PARTS) {
    const has = (dtype: Dtype) => present.has(partFile(part, dtype));
    const dtype = dtypePreference(part, device).find(has);
    if (dtype) chosen[part] = dtype;
    else if (DTYPES.some(has)) {
      throw new GlimpseError(
        'backend-unavailable',
        `This GPU cannot run the ${part} files of this model (they need shader-f16). ` +
          'Open the app with ?backend=wasm, or pick another model.',
        { details: { part } },
      );
    }
  }
  return chosen;
}
