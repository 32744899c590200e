/**
 * Which backend runs and which file variants it may load. ONNX Runtime's own `['webgpu', 'wasm']` list
 * falls back silently, so the worker probes for an adapter itself and reports what really runs.
 */
import { GlimpseError } from '../engine/errors';
import { DTYPE_SUFFIX, partFile } from '../engine/model/files';
import type { Dtype, ModelPart } from '../engine/types';
import type { BackendPreference } from './protocol';

export interface BackendChoice {
  readonly backend: 'webgpu' | 'wasm';
  /** Only an adapter with `shader-f16` may run f16 files; the native WebGPU build rejects them otherwise. */
  readonly shaderF16: boolean;
}

/** The slice of `navigator.gpu` the probe needs. */
export interface GpuLike {
  requestAdapter(): Promise<{ readonly features: { has(name: string): boolean } } | null>;
}

export async function chooseBackend(
  preference: BackendPreference,
  gpu: GpuLike | undefined,
): Promise<BackendChoice> {
  if (preference === 'wasm') return { backend: 'wasm', shaderF16: false };
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (adapter) return { backend: 'webgpu', shaderF16: adapter.features.has('shader-f16') };
  if (preference === 'webgpu') {
    throw new GlimpseError(
      'backend-unavailable',
      'WebGPU is not available in this browser. Open the app without ?backend=webgpu to run on WebAssembly, ' +
        'or use a browser with WebGPU enabled.',
    );
  }
  return { backend: 'wasm', shaderF16: false };
}

const parts: readonly ModelPart[] = ['vision_encoder', 'projector', 'embed_tokens', 'decoder_model_merged'];

/**
 * Preference per part, best first. 4-bit embedding tables are as large as fp32 ones, so embed_tokens
 * prefers plain fp16 where f16 is allowed.
 */
function preferences(part: ModelPart, choice: BackendChoice): readonly Dtype[] {
  const withoutF16: readonly Dtype[] = ['q4', 'quantized', 'fp32', 'int8', 'uint8', 'bnb4'];
  if (choice.backend === 'wasm') return [...withoutF16, 'fp16', 'q4f16'];
  if (!choice.shaderF16) return withoutF16;
  return part === 'embed_tokens'
    ? ['fp16', 'fp32', 'q4f16', ...withoutF16]
    : ['q4f16', 'fp16', ...withoutF16];
}

/**
 * The file variant per part among those the package has. A part with no file at all is left out (an
 * optional projector, or a package that does not list its files), so the engine decides and names what is
 * missing; a part whose only files this backend must not load is an error that says what to do.
 */
export function chooseDtypes(
  files: readonly string[],
  choice: BackendChoice,
): Partial<Record<ModelPart, Dtype>> {
  const present = new Set(files);
  const dtypes = Object.keys(DTYPE_SUFFIX).filter((d): d is Dtype => d in DTYPE_SUFFIX);
  const chosen: Partial<Record<ModelPart, Dtype>> = {};
  for (const part of parts) {
    const has = (d: Dtype) => present.has(partFile(part, d));
    const dtype = preferences(part, choice).find(has);
    if (dtype) chosen[part] = dtype;
    else if (dtypes.some(has)) {
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
