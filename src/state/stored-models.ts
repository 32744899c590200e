/** The models kept in this browser's storage, as the storage panel reads and changes them. */

import {
  type CachedModel,
  deleteCachedModel,
  listCachedModels,
  type VerifyReport,
  verifyCachedModel,
} from '../storage/cached-models';
import type { StorageEstimateBytes } from '../storage/file-store';
import { openModelStore } from '../storage/model-storage';
import { isStoragePersisted, requestPersistentStorage } from '../storage/persistence';

export { formatBytes } from '../storage/quota';
export type { CachedModel, StorageEstimateBytes, VerifyReport };

export interface StoredModels {
  readonly models: readonly CachedModel[];
  readonly estimate: StorageEstimateBytes | undefined;
  readonly persisted: boolean;
}

export async function readStoredModels(): Promise<StoredModels> {
  const store = await openModelStore();
  const [models, estimate, persisted] = await Promise.all([
    listCachedModels(store),
    store.estimate(),
    isStoragePersisted(),
  ]);
  return { models, estimate, persisted };
}

export async function deleteStoredModel(modelId: string): Promise<void> {
  await deleteCachedModel(await openModelStore(), modelId);
}

export async function verifyStoredModel(modelId: string): Promise<VerifyReport> {
  return verifyCachedModel(await openModelStore(), modelId);
}

export { requestPersistentStorage };
