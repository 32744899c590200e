/**
 * The registry of Hub models (models/registry/hub-models.json): what each repository holds per part and
 * dtype, with download sizes, and the dtypes to load per device. The app shows the plan's total before it
 * downloads anything, then loads with exactly the plan's dtypes, so no other variant is ever fetched.
 */
import { GlimpseError } from '../errors';
import type { Backend } from '../runtime/ort';
import type { Dtype } from '../types';
import { DTYPE_SUFFIX, partFile } from './files';
import { isJsonObject, type JsonObject, numberField, stringField } from './json';

/** Where a model runs: WebGPU with half-precision shaders, WebGPU without them, or WebAssembly. */
export type DeviceClass = 'webgpu-f16' | 'webgpu' | 'wasm';

export const DEVICE_CLASSES: readonly DeviceClass[] = ['webgpu-f16', 'webgpu', 'wasm'];

/** The parts a Hub export has; the projector is fused into its vision encoder. */
export const HUB_PARTS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type HubPart = (typeof HUB_PARTS)[number];

export interface HubModelEntry {
  /** The repository id, e.g. 'llava-hf/llava-interleave-qwen-0.5b-hf'. */
  readonly id: string;
  readonly revision: string;
  readonly label: string;
  readonly licence: string;
  readonly modelType: string;
  /** The config, tokenizer and template files together. */
  readonly configBytes: number;
  /** Per part, the dtypes the repository has and each file's size (null: the file is there, its size unknown). */
  readonly files: Readonly<Record<HubPart, Partial<Record<Dtype, number | null>>>>;
  readonly defaults: Readonly<Record<DeviceClass, Readonly<Record<HubPart, Dtype>>>>;
  readonly notes: readonly string[];
}

export interface HubRegistry {
  readonly defaultId: string;
  readonly models: readonly HubModelEntry[];
}

export interface PlannedFile {
  readonly path: string;
  /** null when the registry does not know the size. */
  readonly bytes: number | null;
}

/** What loading an entry on one device downloads. */
export interface DownloadPlan {
  readonly device: DeviceClass;
  /** Pass as LoadOptions.dtype, so the engine loads these files and tries no other. */
  readonly dtype: Readonly<Record<HubPart, Dtype>>;
  readonly files: readonly PlannedFile[];
  /** The sum of the known sizes, config files included; a lower bound when `complete` is false. */
  readonly totalBytes: number;
  /** False when some file's size is unknown. */
  readonly complete: boolean;
}

export function deviceClass(backend: Backend, shaderF16: boolean): DeviceClass {
  if (backend === 'wasm') return 'wasm';
  return shaderF16 ? 'webgpu-f16' : 'webgpu';
}

export function planDownload(entry: HubModelEntry, device: DeviceClass): DownloadPlan {
  const dtype = entry.defaults[device];
  const files = HUB_PARTS.map((part) => ({
    path: partFile(part, dtype[part]),
    bytes: entry.files[part][dtype[part]] ?? null,
  }));
  return {
    device,
    dtype,
    files,
    totalBytes: files.reduce((sum, file) => sum + (file.bytes ?? 0), entry.configBytes),
    complete: files.every((file) => file.bytes !== null),
  };
}

export function findEntry(registry: HubRegistry, id: string): HubModelEntry | undefined {
  return registry.models.find((entry) => entry.id === id);
}

/** Reads hub-models.json; a registry that does not fit its shape is a bug in the repository, named here. */
export function parseRegistry(data: unknown): HubRegistry {
  if (!isJsonObject(data) || !Array.isArray(data.models)) throw invalid('it has no "models" list');
  const models = data.models.map(parseEntry);
  const defaultId = stringField(data, 'default');
  if (defaultId === undefined || !models.some((entry) => entry.id === defaultId))
    throw invalid(`its default "${defaultId}" is not one of its models`);
  return { defaultId, models };
}

function parseEntry(value: unknown, index: number): HubModelEntry {
  if (!isJsonObject(value)) throw invalid(`model ${index} is not an object`);
  const text = (key: string): string => {
    const field = stringField(value, key);
    if (field === undefined) throw invalid(`model ${index} has no "${key}"`);
    return field;
  };
  const id = text('id');
  const files = objectOf(value.files, `${id} files`);
  const defaults = objectOf(value.defaults, `${id} defaults`);
  const partSizes = (part: HubPart) =>
    parseSizes(objectOf(files[part], `${id} files.${part}`), `${id} ${part}`);
  const parsedFiles = perPart(partSizes);
  const deviceDefaults = (device: DeviceClass) => {
    const chosen = objectOf(defaults[device], `${id} defaults.${device}`);
    return perPart((part) => {
      const dtype = chosen[part];
      if (!isDtype(dtype) || !(dtype in parsedFiles[part]))
        throw invalid(`${id} defaults.${device}.${part} names no file the repository has`);
      return dtype;
    });
  };
  const parsedDefaults: Record<DeviceClass, Record<HubPart, Dtype>> = {
    'webgpu-f16': deviceDefaults('webgpu-f16'),
    webgpu: deviceDefaults('webgpu'),
    wasm: deviceDefaults('wasm'),
  };
  const configBytes = numberField(value, 'config_bytes');
  if (configBytes === undefined) throw invalid(`${id} has no config_bytes`);
  const notes = Array.isArray(value.notes) ? value.notes.filter((note) => typeof note === 'string') : [];
  return {
    id,
    revision: text('revision'),
    label: text('label'),
    licence: text('licence'),
    modelType: text('model_type'),
    configBytes,
    files: parsedFiles,
    defaults: parsedDefaults,
    notes,
  };
}

function perPart<V>(value: (part: HubPart) => V): Record<HubPart, V> {
  return {
    vision_encoder: value('vision_encoder'),
    embed_tokens: value('embed_tokens'),
    decoder_model_merged: value('decoder_model_merged'),
  };
}

function parseSizes(sizes: JsonObject, where: string): Partial<Record<Dtype, number | null>> {
  const parsed: Partial<Record<Dtype, number | null>> = {};
  for (const [dtype, bytes] of Object.entries(sizes)) {
    if (!isDtype(dtype)) throw invalid(`${where} has an unknown dtype "${dtype}"`);
    if (bytes !== null && (typeof bytes !== 'number' || !(bytes > 0)))
      throw invalid(`${where} ${dtype} has no size (a number of bytes, or null)`);
    parsed[dtype] = bytes;
  }
  return parsed;
}

function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SUFFIX, value);
}

function objectOf(value: unknown, where: string): JsonObject {
  if (!isJsonObject(value)) throw invalid(`${where} is not an object`);
  return value;
}

function invalid(problem: string): GlimpseError {
  return new GlimpseError('package-invalid', `models/registry/hub-models.json does not fit: ${problem}.`, {
    details: { file: 'models/registry/hub-models.json' },
  });
}
