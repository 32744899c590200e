import type { FileStore } from './file-store';

/** One file of a package as its source lists it (the /models/index.json entry). */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256?: string;
}

/**
 * What the cache knows of one file. A partial file is never served; a complete one is served once its
 * size (and sha256, when known) match. `verified` remembers a hash check for one version of the stored
 * file, so a large file is hashed once, not on every load.
 */
export type FileRecord =
  | { readonly state: 'partial'; readonly size?: number; readonly sha256?: string; readonly etag?: string }
  | {
      readonly state: 'complete';
      readonly size: number;
      readonly sha256?: string;
      readonly verified?: { readonly sha256: string; readonly lastModified: number };
    }
  | { readonly state: 'absent' };

/** Folder names in the store: a Hub id like "org/name" becomes one folder. */
export function modelFolder(modelId: string): string {
  return encodeURIComponent(modelId);
}

export function dataPath(modelId: string, path: string): string {
  return `${modelFolder(modelId)}/files/${path}`;
}

function recordPath(modelId: string, path: string): string {
  return `${recordFolder(modelId)}/${encodeURIComponent(path)}.json`;
}

function recordFolder(modelId: string): string {
  return `${modelFolder(modelId)}/meta`;
}

/** The package paths the cache holds a record for. */
export async function recordedPaths(store: FileStore, modelId: string): Promise<string[]> {
  const names = await store.listFiles(recordFolder(modelId));
  return names.filter((name) => name.endsWith('.json')).map((name) => decodeURIComponent(name.slice(0, -5)));
}

export async function readRecord(
  store: FileStore,
  modelId: string,
  path: string,
): Promise<FileRecord | undefined> {
  const bytes = await store.read(recordPath(modelId, path));
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isFileRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(store: FileStore, modelId: string, path: string, record: FileRecord) {
  await store.write(recordPath(modelId, path), new TextEncoder().encode(JSON.stringify(record)));
}

export async function forgetFile(store: FileStore, modelId: string, path: string): Promise<void> {
  await store.remove(dataPath(modelId, path));
  await store.remove(recordPath(modelId, path));
}

function isFileRecord(value: unknown): value is FileRecord {
  if (typeof value !== 'object' || value === null || !('state' in value)) return false;
  const optional = (key: string, type: string) => !(key in value) || typeof Reflect.get(value, key) === type;
  switch (value.state) {
    case 'absent':
      return true;
    case 'partial':
      return optional('size', 'number') && optional('sha256', 'string') && optional('etag', 'string');
    case 'complete':
      return (
        'size' in value &&
        typeof value.size === 'number' &&
        optional('sha256', 'string') &&
        optional('verified', 'object')
      );
    default:
      return false;
  }
}
