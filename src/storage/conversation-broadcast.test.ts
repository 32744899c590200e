import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastConversationChanges, conversationChannelName } from './conversation-broadcast';
import type { StoredConversation } from './conversation-types';
import { type ConversationStore, openConversationStore } from './conversations';

const open: ConversationStore[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

/** One browser tab: its own connection to the shared database and its own channel. */
async function tab(dbName: string) {
  const changes: string[][] = [];
  const store = broadcastConversationChanges(
    await openConversationStore(dbName),
    new BroadcastChannel(conversationChannelName),
    (ids) => changes.push([...ids]),
  );
  open.push(store);
  return { store, changes };
}

const conversation = (id: string, texts: string[]): StoredConversation => ({
  id,
  title: id,
  modelId: 'tiny-llava',
  createdAt: 1,
  updatedAt: 2,
  messages: texts.map((text, i) => ({ id: `${id}-${i}`, role: i % 2 ? 'assistant' : 'user', text })),
});

describe('broadcastConversationChanges', () => {
  it('tells the other tabs, not itself, which conversation each write changed', async () => {
    const a = await tab('tabs-1');
    const b = await tab('tabs-1');
    await a.store.put(conversation('c1', ['Hi', 'Hello']));
    await a.store.rename('c1', 'Greeting');
    const [imported] = await a.store.importJson(await a.store.exportJson(['c1']));
    await a.store.delete('c1');
    await expect.poll(() => b.changes.length).toBe(4);
    expect(b.changes).toEqual([['c1'], ['c1'], [imported], ['c1']]);
    expect(a.changes).toEqual([]);
    expect((await b.store.list()).map((s) => s.id)).toEqual([imported]);
  });

  it('ignores messages that are not its own', async () => {
    const b = await tab('tabs-2');
    const stranger = new BroadcastChannel(conversationChannelName);
    stranger.postMessage({ kind: 'conversations-changed', ids: [1] });
    stranger.postMessage('hello');
    stranger.postMessage({ kind: 'conversations-changed', ids: ['x'] });
    await expect.poll(() => b.changes).toEqual([['x']]);
    stranger.close();
  });
});
