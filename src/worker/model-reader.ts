import type { PackageReader } from '../engine/types';
import type { FileStore } from '../storage/file-store';
import { createFolderReader } from '../storage/folder-reader';
import { openCachedPackage, openModelStore } from '../storage/model-storage';
import { isFolderSource, type ModelSource } from './protocol';

/**
 * The reader the worker loads a package through. A URL package comes from the model cache (OPFS in the
 * browser), and only what is missing is downloaded, each file checked against the size and sha256 the
 * source lists (a Hub repository's listing, /models/index.json) and never requested when not listed; a
 * folder package is read where it is.
 */
export async function createModelReader(
  source: ModelSource,
  store: () => Promise<FileStore> = openModelStore,
  origin?: string,
): Promise<PackageReader> {
  if (isFolderSource(source)) return createFolderReader(source.id, source.folder);
  return openCachedPackage(await store(), {
    modelId: source.id,
    baseUrl: source.baseUrl,
    ...(source.files ? { manifest: source.files } : {}),
    ...(origin === undefined ? {} : { origin }),
  });
}
