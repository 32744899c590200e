import { dataPath, forgetFile, modelFolder, readRecord, recordedPaths, writeRecord } from './cache-records';
import type { FileStore, StorageEstimateBytes } from './file-store';
import { sha256Hex } from './sha256';

export interface CachedModel {
  readonly modelId: string;
  /** Bytes on disk, partial downloads included. */
  readonly bytes: number;
}

/** Every model with something in the cache, with the bytes it takes. */
export async function listCachedModels(store: FileStore): Promise<CachedModel[]> {
  const folders = await store.listFolders('');
  return Promise.all(
    folders.map(async (folder) => ({
      modelId: decodeURIComponent(folder),
      bytes: await store.totalSize(folder),
    })),
  );
}

/** Removes a model's files, partial downloads and records; its next load downloads it again. */
export async function deleteCachedModel(store: FileStore, modelId: string): Promise<void> {
  await store.remove(modelFolder(modelId));
}

export function storageEstimate(store: FileStore): Promise<StorageEstimateBytes | undefined> {
  return store.estimate();
}

export interface VerifyReport {
  /** Files whose sha256 was checked. */
  readonly checked: number;
  /** Files that did not match and were deleted; the next load downloads them again. */
  readonly removed: readonly string[];
}

/**
 * Re-hashes every complete file of a model against its sha256, whatever was remembered. A load checks a
 * file again only when its size or lastModified changed; this finds damage that changed neither.
 */
export async function verifyCachedModel(store: FileStore, modelId: string): Promise<VerifyReport> {
  let checked = 0;
  const removed: string[] = [];
  for (const path of await recordedPaths(store, modelId)) {
    const record = await readRecord(store, modelId, path);
    if (record?.state !== 'complete' || !record.sha256) continue;
    const [bytes, stat] = await Promise.all([
      store.read(dataPath(modelId, path)),
      store.stat(dataPath(modelId, path)),
    ]);
    checked++;
    if (!bytes || !stat || bytes.byteLength !== record.size || (await sha256Hex(bytes)) !== record.sha256) {
      await forgetFile(store, modelId, path);
      removed.push(path);
      continue;
    }
    await writeRecord(store, modelId, path, {
      ...record,
      verified: { sha256: record.sha256, lastModified: stat.lastModified },
    });
  }
  return { checked, removed };
}
