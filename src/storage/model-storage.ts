import type { PackageReader } from '../engine/types';
import { type ManifestFile, modelFolder } from './cache-records';
import type { FileStore } from './file-store';
import { createHttpReader } from './http-reader';
import { createCachedReader } from './model-cache';
import { openOpfsStore } from './opfs-store';

/** The OPFS folder that holds every cached model. */
export const modelStoreFolder = 'glimpse-models';

let opfsStore: Promise<FileStore> | undefined;

/** The model cache of this origin, in OPFS; the page and the worker open the same one. */
export function openModelStore(): Promise<FileStore> {
  opfsStore ??= openOpfsStore(modelStoreFolder).catch((err: unknown) => {
    opfsStore = undefined;
    throw err;
  });
  return opfsStore;
}

export interface CachedPackageOptions {
  readonly modelId: string;
  /** Where the package is downloaded from: "/models/<id>", a Hub "…/resolve/main" URL, a mirror. */
  readonly baseUrl: string;
  /** The package's files with sizes and sha256 when the source lists them (/models/index.json). */
  readonly manifest?: readonly ManifestFile[];
  readonly origin?: string;
}

/**
 * The reader a model loads through: files come from the cache, and only what is missing is downloaded.
 * A manifest given here is kept with the model, so an offline load still knows its files.
 */
export async function openCachedPackage(
  store: FileStore,
  options: CachedPackageOptions,
): Promise<PackageReader> {
  const manifest = options.manifest ?? (await readStoredManifest(store, options.modelId));
  if (options.manifest) await storeManifest(store, options.modelId, options.manifest);
  const source = createHttpReader(
    options.baseUrl,
    options.origin === undefined ? {} : { origin: options.origin },
  );
  return createCachedReader(
    source,
    manifest ? { modelId: options.modelId, store, manifest } : { modelId: options.modelId, store },
  );
}

export interface StoredManifest {
  readonly modelId: string;
  readonly files: readonly ManifestFile[];
}

/** The manifests of cached models: the app's model list when /models/index.json cannot be reached. */
export async function readStoredManifests(store: FileStore): Promise<StoredManifest[]> {
  const manifests: StoredManifest[] = [];
  for (const folder of await store.listFolders('')) {
    const modelId = decodeURIComponent(folder);
    const files = await readStoredManifest(store, modelId);
    if (files) manifests.push({ modelId, files });
  }
  return manifests;
}

const manifestPath = (modelId: string) => `${modelFolder(modelId)}/manifest.json`;

async function storeManifest(store: FileStore, modelId: string, files: readonly ManifestFile[]) {
  await store.write(manifestPath(modelId), new TextEncoder().encode(JSON.stringify(files)));
}

async function readStoredManifest(store: FileStore, modelId: string): Promise<ManifestFile[] | undefined> {
  const bytes = await store.read(manifestPath(modelId));
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return Array.isArray(value) && value.every(isManifestFile) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isManifestFile(value: unknown): value is ManifestFile {
  return (
    typeof value === 'object' &&
    value !== null &&
    'path' in value &&
    typeof value.path === 'string' &&
    'size' in value &&
    typeof value.size === 'number' &&
    (!('sha256' in value) || value.sha256 === undefined || typeof value.sha256 === 'string')
  );
}
