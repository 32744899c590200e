/**
 * What a person can do wrong or too early, through the real chat actions and the engine on onnxruntime-web's
 * wasm backend with conversations in IndexedDB (fake-indexeddb): each case ends in a clear message, the
 * app goes on working, and nothing typed or stored is lost.
 */
import 'fake-indexeddb/auto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { GlimpseError, loadModel } from './engine';
import { folderReader } from './engine/node/folder-reader';
import type { RgbaImage } from './engine/types';
import { catalogEntry } from './state/catalog';
import { type ChatDeps, createChatActions } from './state/chat-actions';
import { testStore } from './state/test-store';
import { openConversationStore } from './storage/conversations';
import type { RemoteModel } from './worker/worker-client';

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

async function packageFiles(dir: string) {
  const files = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, path), size: (await stat(path)).size });
  }
  return files;
}

/** A 4×4 grey picture, as the page decoder would hand it over. */
const grey: RgbaImage = { width: 4, height: 4, data: new Uint8Array(64).fill(128) };

let counter = 0;

/** The app's actions over the engine in-thread; `gate` holds every model load until it resolves. */
async function startApp(options: { gate?: Promise<void>; decodeImage?: ChatDeps['decodeImage'] } = {}) {
  const store = testStore();
  const actions = createChatActions(store, {
    loadModel: async (source, { signal, onProgress }): Promise<RemoteModel> => {
      await options.gate;
      const model = await loadModel(ort, folderReader(join('models', source.id)), {
        backend: 'wasm',
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
      return Object.assign(model, { backend: 'wasm' as const, shaderF16: false });
    },
    fetchCatalog: async () => [catalogEntry('tiny-llava', await packageFiles('models/tiny-llava'))],
    conversations: await openConversationStore(`reliability-${++counter}`),
    decodeImage: options.decodeImage ?? (async () => grey),
    modelBaseUrl: '/models',
    backend: 'wasm',
    now: () => performance.now(),
    clock: () => Date.now(),
    newId: () => `id-${++counter}`,
  });
  return { store, actions };
}

describe('the chat, when a person is early or their input is bad', () => {
  it('keeps a message sent while the model loads, says why, and sends it once ready', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, actions } = await startApp({ gate });
    const started = actions.start('tiny-llava');
    await expect.poll(() => store.getState().load.status).toBe('downloading');
    store.getState().updateSettings({ maxNewTokens: 3, temperature: 0 });
    await actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'photo.png' }]);
    store.getState().setDraft('What is this?');
    await actions.send();
    expect(store.getState().error).toMatchObject({
      code: 'model-not-loaded',
      message: expect.stringMatching(/kept/),
    });
    expect(store.getState().draft).toBe('What is this?');
    expect(store.getState().attachments.map((a) => a.name)).toEqual(['photo.png']);
    expect(store.getState().active?.messages).toEqual([]);

    release();
    await started;
    expect(store.getState().load.status).toBe('ready');
    await actions.send();
    expect(store.getState().active?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(store.getState().active?.messages[1]?.text.length).toBeGreaterThan(0);
  });

  it('refuses an image it cannot decode when it is attached, keeping the question and other images', async () => {
    const { store, actions } = await startApp({
      decodeImage: async (blob) => {
        if (blob.size === 0)
          throw new GlimpseError('image-invalid', 'This image file is empty. Choose another image.');
        return grey;
      },
    });
    await actions.start('tiny-llava');
    store.getState().updateSettings({ maxNewTokens: 3, temperature: 0 });
    store.getState().setDraft('What is in it?');
    await actions.attachImages([
      { blob: new Blob(['a picture'], { type: 'image/jpeg' }), name: 'good.jpg' },
      { blob: new Blob([], { type: 'image/jpeg' }), name: 'empty.jpg' },
    ]);
    expect(store.getState().error).toMatchObject({
      code: 'image-invalid',
      message: 'empty.jpg: This image file is empty. Choose another image.',
    });
    expect(store.getState().draft).toBe('What is in it?');
    expect(store.getState().attachments.map((a) => a.name)).toEqual(['good.jpg']);
    expect(store.getState().active?.messages).toEqual([]);

    await actions.send();
    const messages = store.getState().active?.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[0]?.images?.map((image) => image.name)).toEqual(['good.jpg']);
    expect(messages[1]?.error).toBeUndefined();
  });

  it('says when the conversation outgrows the context, then continues from the last question on request', async () => {
    const { store, actions } = await startApp();
    await actions.start('tiny-llava');
    store.getState().updateSettings({ maxNewTokens: 4, temperature: 0 });
    await actions.attachImages([
      { blob: new Blob(['a picture'], { type: 'image/jpeg' }), name: 'photo.jpg' },
    ]);
    const long = 'Tell me more about the boats, the water and the light on the hills. '.repeat(3);
    const last = () => store.getState().active?.messages.at(-1);
    for (let turn = 0; turn < 12 && !last()?.error; turn++) {
      store.getState().setDraft(`${turn}. ${long}`);
      await actions.send();
    }
    expect(last()?.error).toMatchObject({ code: 'context-overflow' });
    const failedCount = store.getState().active?.messages.length ?? 0;

    await actions.continueAfterOverflow();
    const messages = store.getState().active?.messages ?? [];
    expect(messages).toHaveLength(failedCount);
    expect(last()?.error).toBeUndefined();
    expect(last()?.text.length).toBeGreaterThan(0);
    expect(last()?.stats?.contextReset).toBe(true);

    // Later turns of this conversation go on under the same choice.
    store.getState().setDraft(long);
    await actions.send();
    expect(store.getState().active?.messages).toHaveLength(failedCount + 2);
    expect(last()?.error).toBeUndefined();
  });
});
