import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ConversationImportError, openConversationStore, type StoredConversation } from './conversations';

let dbCount = 0;
const freshDbName = () => `glimpse-test-${++dbCount}`;

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 128, 7]);
const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2]);

function conversation(id: string, updatedAt: number, title = `Chat ${id}`): StoredConversation {
  return {
    id,
    title,
    modelId: 'tiny-llava',
    createdAt: 1000,
    updatedAt,
    messages: [
      {
        id: `${id}-q`,
        role: 'user',
        text: 'What is in the photo?',
        images: [
          { blob: new Blob([png], { type: 'image/png' }), name: 'boats.png' },
          { blob: new Blob([gif], { type: 'image/gif' }), name: 'dots.gif' },
        ],
      },
      {
        id: `${id}-a`,
        role: 'assistant',
        text: 'Boats in a harbour.',
        stats: {
          promptTokens: 12,
          prefillTokens: 12,
          generatedTokens: 5,
          visionMs: 3,
          prefillMs: 4,
          timeToFirstTokenMs: 8,
          decodeTokensPerSecond: 100,
          totalMs: 60,
        },
      },
    ],
  };
}

async function imageBytes(c: StoredConversation | undefined): Promise<Uint8Array[]> {
  const images = c?.messages[0]?.images ?? [];
  return Promise.all(images.map(async ({ blob }) => new Uint8Array(await blob.arrayBuffer())));
}

describe('conversation store', () => {
  it('lists conversations newest first and keeps them, images included, across a reopen', async () => {
    const name = freshDbName();
    const store = await openConversationStore(name);
    await store.put(conversation('a', 2000));
    await store.put(conversation('b', 3000));
    await store.put(conversation('c', 1500));
    store.close();

    const reopened = await openConversationStore(name);
    expect((await reopened.list()).map((s) => s.id)).toEqual(['b', 'a', 'c']);
    expect((await reopened.list())[0]).toMatchObject({
      title: 'Chat b',
      messageCount: 2,
      modelId: 'tiny-llava',
    });
    const stored = await reopened.get('a');
    expect(await imageBytes(stored)).toEqual([png, gif]);
    expect(stored?.messages[0]?.images?.map((image) => image.blob.type)).toEqual(['image/png', 'image/gif']);
    expect(stored?.messages[1]?.stats?.generatedTokens).toBe(5);
    reopened.close();
  });

  it('renames a conversation without moving it in the list, and deletes one', async () => {
    const store = await openConversationStore(freshDbName());
    await store.put(conversation('a', 2000));
    await store.put(conversation('b', 3000));
    await store.rename('a', 'Harbour questions');
    expect((await store.list()).map((s) => [s.id, s.title])).toEqual([
      ['b', 'Chat b'],
      ['a', 'Harbour questions'],
    ]);
    expect((await store.get('a'))?.title).toBe('Harbour questions');
    await store.delete('b');
    expect((await store.list()).map((s) => s.id)).toEqual(['a']);
    expect(await store.get('b')).toBeUndefined();
    store.close();
  });

  it('exports to JSON with images as data URLs and imports into another browser profile intact', async () => {
    const source = await openConversationStore(freshDbName());
    await source.put(conversation('a', 2000));
    await source.put(conversation('b', 3000));
    const json = await source.exportJson(['a']);
    expect(json).toContain('data:image/png;base64,');

    const target = await openConversationStore(freshDbName());
    expect(await target.importJson(json)).toEqual(['a']);
    const imported = await target.get('a');
    expect(imported?.messages.map((m) => m.text)).toEqual(['What is in the photo?', 'Boats in a harbour.']);
    expect(imported?.messages[0]?.images?.map((image) => image.name)).toEqual(['boats.png', 'dots.gif']);
    expect(await imageBytes(imported)).toEqual([png, gif]);
    source.close();
    target.close();
  });

  it('reads a message stored, or exported, with the single image of earlier versions as a list of one', async () => {
    const name = freshDbName();
    const store = await openConversationStore(name);
    const { images, ...question } = conversation('old', 1000).messages[0] ?? { images: [] };
    const earlier = { ...conversation('old', 1000), messages: [{ ...question, image: images?.[0] }] };
    await store.put(earlier as StoredConversation);
    expect(await imageBytes(await store.get('old'))).toEqual([png]);

    const exported = JSON.parse(await store.exportJson(['old']));
    const [message] = exported.conversations[0].messages;
    exported.version = 1;
    exported.conversations[0].messages = [{ ...message, images: undefined, image: message.images[0] }];
    const [id] = await store.importJson(JSON.stringify(exported));
    expect(await imageBytes(await store.get(id ?? ''))).toEqual([png]);
    store.close();
  });

  it('gives imported conversations new ids when theirs are taken', async () => {
    const store = await openConversationStore(freshDbName());
    await store.put(conversation('a', 2000));
    const ids = await store.importJson(await store.exportJson());
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe('a');
    expect((await store.list()).map((s) => s.id).sort()).toEqual(['a', ids[0]].sort());
    store.close();
  });

  it('refuses a malformed export as a whole and stores nothing', async () => {
    const store = await openConversationStore(freshDbName());
    await store.put(conversation('a', 2000));
    const good = JSON.parse(await store.exportJson());
    await store.delete('a');
    good.conversations.push({ id: 'x', title: 'bad', messages: [{ role: 'robot' }] });
    await expect(store.importJson(JSON.stringify(good))).rejects.toBeInstanceOf(ConversationImportError);
    await expect(store.importJson('not json')).rejects.toThrow(/not JSON/);
    await expect(store.importJson('{"format":"other"}')).rejects.toThrow(/not a Glimpse/);
    expect(await store.list()).toEqual([]);
    store.close();
  });
});
