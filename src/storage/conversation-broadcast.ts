import type { ConversationStore } from './conversations';

/** The slice of a BroadcastChannel this module uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  close(): void;
}

export const conversationChannelName = 'glimpse-conversations';

interface ChangeMessage {
  readonly kind: 'conversations-changed';
  readonly ids: readonly string[];
}

function isChangeMessage(data: unknown): data is ChangeMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    'kind' in data &&
    data.kind === 'conversations-changed' &&
    'ids' in data &&
    Array.isArray(data.ids) &&
    data.ids.every((id) => typeof id === 'string')
  );
}

/**
 * The conversation store, telling the app's other tabs which conversations each write changed. Every tab
 * shares one IndexedDB; without this a second tab would show a stale list, and writing back a stale copy
 * of an open conversation would drop the turns the other tab added.
 */
export function broadcastConversationChanges(
  store: ConversationStore,
  channel: ChannelLike,
  onChanged: (ids: readonly string[]) => void,
): ConversationStore {
  channel.addEventListener('message', (event) => {
    if (isChangeMessage(event.data)) onChanged(event.data.ids);
  });
  const changed = (ids: readonly string[]) => {
    const message: ChangeMessage = { kind: 'conversations-changed', ids };
    channel.postMessage(message);
  };
  return {
    list: () => store.list(),
    get: (id) => store.get(id),
    exportJson: (ids) => store.exportJson(ids),
    async put(conversation) {
      await store.put(conversation);
      changed([conversation.id]);
    },
    async rename(id, title) {
      await store.rename(id, title);
      changed([id]);
    },
    async delete(id) {
      await store.delete(id);
      changed([id]);
    },
    async importJson(text) {
      const ids = await store.importJson(text);
      changed(ids);
      return ids;
    },
    close() {
      channel.close();
      store.close();
    },
  };
}
