import type { PackageReader } from '../engine/types';
import { createFolderReader } from '../storage/folder-reader';
import { openCachedPackage, openModelStore } from '../storage/model-storage';
import { isFolderSource, type ModelSource } from './protocol';

/**
 * The reader the worker loads a package through. A URL package comes from the origin's model cache (OPFS),
 * and only what is missing is downloaded, verified against the listed sizes and sha256 values (or, for a
 * Hub repository, which lists none, the sha256 ETags); a folder package is read where it is.
 */
export async function createModelReader(source: ModelSource): Promise<PackageReader> {
  if (isFolderSource(source)) return createFolderReader(source.id, source.folder);
  return openCachedPackage(
    await openModelStore(),
    source.files
      ? { modelId: source.id, baseUrl: source.baseUrl, manifest: source.files }
      : { modelId: source.id, baseUrl: source.baseUrl },
  );
}
