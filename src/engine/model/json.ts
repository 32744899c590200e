/** Reading the JSON files of a model package, with errors that name the file. */
import { GlimpseError } from '../errors';
import type { PackageReader } from '../types';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function readText(
  reader: PackageReader,
  path: string,
  signal?: AbortSignal,
): Promise<string | null> {
  const bytes = await reader.read(path, signal ? { signal } : undefined);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

export async function readJson(
  reader: PackageReader,
  path: string,
  signal?: AbortSignal,
): Promise<JsonObject | null> {
  const text = await readText(reader, path, signal);
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GlimpseError('package-invalid', `${reader.location}/${path} is not valid JSON.`, {
      cause: err,
      details: { file: path },
    });
  }
  if (!isJsonObject(value)) {
    throw new GlimpseError('package-invalid', `${reader.location}/${path} must hold a JSON object.`, {
      details: { file: path },
    });
  }
  return value;
}

export async function requireJson(
  reader: PackageReader,
  path: string,
  signal?: AbortSignal,
): Promise<JsonObject> {
  const value = await readJson(reader, path, signal);
  if (value === null) throw missingFile(reader, path);
  return value;
}

export function missingFile(reader: PackageReader, path: string): GlimpseError {
  return new GlimpseError('package-file-missing', `The model package ${reader.location} has no ${path}.`, {
    details: { file: path },
  });
}

export function numberField(obj: JsonObject | undefined, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = obj?.[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

export function stringField(obj: JsonObject | undefined, key: string): string | undefined {
  const value = obj?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function objectField(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = obj?.[key];
  return isJsonObject(value) ? value : undefined;
}
