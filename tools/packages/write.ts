/**
 * Writes a model package folder: every file into `<dir>.tmp`, then one rename, so a reader never sees a
 * half-written package. JSON is written with sorted keys, two-space indent and a final newline, so the
 * bytes depend only on the values.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JsonValue } from '../tokenizer/tokenizer-json';

/** Package-relative path (e.g. 'onnx/decoder_model_merged.onnx') → bytes, or a JSON value for .json files. */
export type PackageFiles = ReadonlyMap<string, Uint8Array | JsonValue>;

function sortedKeys(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, v]) => [key, sortedKeys(v)]));
}

export function stableJson(value: JsonValue): string {
  return `${JSON.stringify(sortedKeys(value), null, 2)}\n`;
}

export async function writePackage(dir: string, files: PackageFiles): Promise<void> {
  const staging = `${dir}.tmp`;
  await rm(staging, { recursive: true, force: true });
  for (const [path, content] of files) {
    const target = join(staging, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content instanceof Uint8Array ? content : stableJson(content));
  }
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}
