import { useCallback, useEffect, useState } from 'react';
import {
  type CachedModel,
  deleteStoredModel,
  readStoredModels,
  requestPersistentStorage,
  type StorageEstimateBytes,
  type VerifyReport,
  verifyStoredModel,
} from '../../state/stored-models';

export interface ModelStorageView {
  readonly models: readonly CachedModel[] | undefined;
  readonly estimate: StorageEstimateBytes | undefined;
  readonly persisted: boolean | undefined;
  readonly error: string | undefined;
  refresh(): Promise<void>;
  remove(modelId: string): Promise<void>;
  verify(modelId: string): Promise<VerifyReport>;
  askToPersist(): Promise<void>;
}

/** What the storage panel shows, read from OPFS and the StorageManager when it opens and after each change. */
export function useModelStorage(): ModelStorageView {
  const [models, setModels] = useState<readonly CachedModel[]>();
  const [estimate, setEstimate] = useState<StorageEstimateBytes>();
  const [persisted, setPersisted] = useState<boolean>();
  const [error, setError] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      const stored = await readStoredModels();
      setModels(stored.models);
      setEstimate(stored.estimate);
      setPersisted(stored.persisted);
      setError(undefined);
    } catch (err) {
      setError(`Storage is not available here (${err instanceof Error ? err.message : String(err)}).`);
    }
  }, []);

  const remove = useCallback(
    async (modelId: string) => {
      await deleteStoredModel(modelId);
      await refresh();
    },
    [refresh],
  );

  const verify = useCallback(
    async (modelId: string) => {
      const report = await verifyStoredModel(modelId);
      await refresh();
      return report;
    },
    [refresh],
  );

  const askToPersist = useCallback(async () => {
    setPersisted(await requestPersistentStorage());
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return { models, estimate, persisted, error, refresh, remove, verify, askToPersist };
}
