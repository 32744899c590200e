/**
 * The registry of Hub models (models/registry/hub-models.json): what each repository holds per part and
 * dtype, with download sizes. The first screen and the picker show, per device, the total of the files the
 * engine's one dtype rule picks among them; the load itself plans again from the repository's own listing.
 */
import { GlimpseError } from '../engine/errors';
import {
  chooseDtypes,
  type DeviceClass,
  DTYPE_SUFFIX,
  MODEL_PARTS,
  partFile,
  staticDecoderFiles,
} from '../engine/model/files';
import { isJsonObject, type JsonObject, numberField, stringField } from '../engine/model/json';
import type { Dtype, ModelPart } from '../engine/types';

export type { DeviceClass } from '../engine/model/files';

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
  readonly notes: readonly string[];
  /** What a question costs, for the estimate before a download; absent when not known. */
  readonly shape: QuestionShape | undefined;
}

/** A model's shapes that set the work of a photo question (src/engine/runtime/decode-cost.ts). */
export interface QuestionShape {
  readonly imageTokens: number;
  readonly textLayers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export interface HubRegistry {
  readonly defaultId: string;
  readonly models: readonly HubModelEntry[];
}

export interface PlannedFile {
  readonly path: string;
  /** null when the size is not known. */
  readonly bytes: number | null;
}

/** What loading a model on one device downloads. */
export interface DownloadPlan {
  readonly device: DeviceClass;
  readonly dtype: Readonly<Partial<Record<ModelPart, Dtype>>>;
  readonly files: readonly PlannedFile[];
  /** The sum of the known sizes, config files included; a lower bound when `complete` is false. */
  readonly totalBytes: number;
  /** False when some file's size is unknown. */
  readonly complete: boolean;
}

/**
 * A plan from what a repository holds (`sizes`: every ONNX path it has → its size, or null when unknown)
 * and the bytes of its other files, by the engine's dtype rule for the device. Where the package has the
 * static-cache decode variant the engine loads for the chosen decoder, the plan lists it in its place.
 */
export function planFromFiles(
  sizes: ReadonlyMap<string, number | null>,
  otherBytes: number,
  device: DeviceClass,
): DownloadPlan {
  const dtype = chooseDtypes(sizes.keys(), device);
  const paths = MODEL_PARTS.flatMap((part) => {
    const chosen = dtype[part];
    return chosen === undefined ? [] : [partFile(part, chosen)];
  });
  const decoder = dtype.decoder_model_merged;
  const merged = decoder === undefined ? undefined : partFile('decoder_model_merged', decoder);
  const staticDecoder =
    merged === undefined ? undefined : staticDecoderFiles(merged, device).find((path) => sizes.has(path));
  if (staticDecoder) {
    // Every backend reads it in place of the merged decoder (engine/model/load.ts), which is read, and so
    // downloaded, only where the static one fails to load on the device.
    paths.splice(paths.indexOf(merged ?? ''), 1);
    paths.push(staticDecoder);
  }
  const files = paths.map((path) => ({ path, bytes: sizes.get(path) ?? null }));
  return {
    device,
    dtype,
    files,
    totalBytes: files.reduce((sum, file) => sum + (file.bytes ?? 0), otherBytes),
    complete: files.every((file) => file.bytes !== null),
  };
}

export function planDownload(entry: HubModelEntry, device: DeviceClass): DownloadPlan {
  const sizes = new Map<string, number | null>();
  for (const part of HUB_PARTS) {
    for (const [dtype, bytes] of Object.entries(entry.files[part]))
      if (isDtype(dtype)) sizes.set(partFile(part, dtype), bytes ?? null);
  }
  return planFromFiles(sizes, entry.configBytes, device);
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
  const partSizes = (part: HubPart) => {
    const sizes = parseSizes(objectOf(files[part], `${id} files.${part}`), `${id} ${part}`);
    if (Object.keys(sizes).length === 0) throw invalid(`${id} files.${part} lists no file`);
    return sizes;
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
    files: {
      vision_encoder: partSizes('vision_encoder'),
      embed_tokens: partSizes('embed_tokens'),
      decoder_model_merged: partSizes('decoder_model_merged'),
    },
    notes,
    shape: value.shape === undefined ? undefined : parseShape(objectOf(value.shape, `${id} shape`), id),
  };
}

function parseShape(shape: JsonObject, id: string): QuestionShape {
  const count = (key: string): number => {
    const field = numberField(shape, key);
    if (field === undefined || !Number.isInteger(field) || field <= 0)
      throw invalid(`${id} shape.${key} is not a positive whole number`);
    return field;
  };
  return {
    imageTokens: count('image_tokens'),
    textLayers: count('text_layers'),
    kvHeads: count('kv_heads'),
    headDim: count('head_dim'),
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
