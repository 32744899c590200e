import { type ChangeEvent, useState } from 'react';
import type { ConversationStore } from '../../storage/conversations';

/** Export every conversation, images included, as one JSON file; import such a file back. */
export function ConversationTransfer({
  conversations,
  onImported,
}: {
  readonly conversations: ConversationStore;
  readonly onImported?: (ids: readonly string[]) => void;
}) {
  const [message, setMessage] = useState<string>();

  const exportAll = async () => {
    const json = await conversations.exportJson();
    const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `glimpse-conversations-${new Date().toISOString().slice(0, 10)}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  const importFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      const ids = await conversations.importJson(await file.text());
      setMessage(`Imported ${ids.length} conversation${ids.length === 1 ? '' : 's'}.`);
      onImported?.(ids);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section className="storage-section" aria-labelledby="storage-conversations">
      <h3 id="storage-conversations">Conversations</h3>
      <div className="storage-actions">
        <button type="button" onClick={() => void exportAll()} data-testid="export-conversations">
          Export as JSON
        </button>
        <label className="storage-file-button">
          Import JSON…
          <input
            type="file"
            accept="application/json,.json"
            className="visually-hidden"
            onChange={(event) => void importFile(event)}
            data-testid="import-conversations"
          />
        </label>
      </div>
      {message && (
        <p className="storage-note" role="status">
          {message}
        </p>
      )}
    </section>
  );
}
