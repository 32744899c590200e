import { useState } from 'react';
import { formatBytes } from '../../state/stored-models';
import type { ConversationStore } from '../../storage/conversations';
import { ConversationTransfer } from './ConversationTransfer';
import { useModelStorage } from './use-model-storage';
import './storage-panel.css';

/**
 * Cached models with their sizes, the quota used and left, whether the browser keeps the storage
 * persistently, and conversation export/import.
 */
export function StoragePanel({
  conversations,
  onImported,
}: {
  readonly conversations?: ConversationStore;
  readonly onImported?: (ids: readonly string[]) => void;
}) {
  const storage = useModelStorage();
  const [confirming, setConfirming] = useState<string>();
  const [checks, setChecks] = useState<Readonly<Record<string, string>>>({});
  const check = async (modelId: string) => {
    setChecks((all) => ({ ...all, [modelId]: 'Checking…' }));
    const { checked, removed } = await storage.verify(modelId);
    const result =
      removed.length === 0
        ? `${checked} file${checked === 1 ? '' : 's'} intact`
        : `${removed.length} damaged file${removed.length === 1 ? '' : 's'} removed; the next load downloads ${removed.length === 1 ? 'it' : 'them'} again`;
    setChecks((all) => ({ ...all, [modelId]: result }));
  };
  const { estimate, models, persisted } = storage;

  return (
    <div className="storage-panel" data-testid="storage-panel">
      <section className="storage-section" aria-labelledby="storage-models">
        <h3 id="storage-models">Models on this device</h3>
        {storage.error && <p className="storage-note storage-error">{storage.error}</p>}
        {estimate && (
          <div data-testid="storage-quota">
            <div className="storage-meter" aria-hidden="true">
              <div
                style={{ width: `${Math.min(100, (estimate.usage / Math.max(1, estimate.quota)) * 100)}%` }}
              />
            </div>
            <p className="storage-note">
              {formatBytes(estimate.usage)} used · {formatBytes(Math.max(0, estimate.quota - estimate.usage))}{' '}
              left
            </p>
          </div>
        )}
        {models?.length === 0 && <p className="storage-note">No model is stored yet.</p>}
        <ul className="storage-models">
          {models?.map((model) => (
            <li key={model.modelId} data-testid="cached-model" data-model-id={model.modelId}>
              <span className="storage-model-name">{model.modelId}</span>
              <span className="storage-model-size">{checks[model.modelId] ?? formatBytes(model.bytes)}</span>
              <button
                type="button"
                onClick={() => void check(model.modelId)}
                aria-label={`Check ${model.modelId}`}
              >
                Check
              </button>
              {confirming === model.modelId ? (
                <button
                  type="button"
                  className="storage-danger"
                  onClick={() => {
                    setConfirming(undefined);
                    void storage.remove(model.modelId);
                  }}
                >
                  Delete {formatBytes(model.bytes)}
                </button>
              ) : (
                <button
                  type="button"
                  onClick={() => setConfirming(model.modelId)}
                  aria-label={`Delete ${model.modelId}`}
                >
                  Delete
                </button>
              )}
            </li>
          ))}
        </ul>
        <p className="storage-note" data-testid="storage-persisted">
          {persisted
            ? 'Storage is persistent: the browser will not clear these models on its own.'
            : 'Storage is not persistent: the browser may clear models when the disk is nearly full.'}
          {persisted === false && (
            <button type="button" className="storage-link" onClick={() => void storage.askToPersist()}>
              Ask to keep them
            </button>
          )}
        </p>
      </section>
      {conversations && <ConversationTransfer conversations={conversations} onImported={onImported} />}
    </div>
  );
}
