/**
 * The GPU device lost in the middle of an answer, through the whole chat path: chat actions → worker client
 * → message channel → inference host → engine. Node has no WebGPU, so the host is told an adapter exists
 * and the engine runs on wasm underneath; the loss itself arrives as the browser's `device.lost` would.
 */
import 'fake-indexeddb/auto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, expect, it } from 'vitest';
import { loadModel } from './engine';
import { folderReader } from './engine/node/folder-reader';
import { catalogEntry } from './state/catalog';
import { createChatActions } from './state/chat-actions';
import { testStore } from './state/test-store';
import { openConversationStore } from './storage/conversations';
import { createInferenceHost } from './worker/inference-host';
import { isRequest } from './worker/protocol';
import { WorkerClient } from './worker/worker-client';

const channel = new MessageChannel();
afterAll(() => {
  channel.port1.close();
  channel.port2.close();
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

it('reloads the model on wasm, says so, and keeps the conversation going', async () => {
  ort.env.wasm.numThreads = 1;
  let loseDevice: (reason: string) => void = () => {};
  const backendsLoaded: string[] = [];
  const host = createInferenceHost({
    engine: {
      loadModel: (reader, options) => {
        backendsLoaded.push(options.backend);
        return loadModel(ort, reader, { ...options, backend: 'wasm' });
      },
    },
    createReader: async (source) => folderReader(join('models', source.id)),
    gpu: { requestAdapter: async () => ({ features: new Set<string>() }) },
    post: (reply) => channel.port2.postMessage(reply),
    watchDevice: () =>
      new Promise<string>((resolve) => {
        loseDevice = resolve;
      }),
  });
  channel.port2.addEventListener('message', (event) => {
    if (isRequest(event.data)) void host.handle(event.data);
  });
  channel.port1.start();
  channel.port2.start();
  const client = new WorkerClient({
    postMessage: (message, transfer) => channel.port1.postMessage(message, transfer),
    addEventListener(type: string, listener: (event: MessageEvent<unknown>) => void) {
      if (type === 'message') channel.port1.addEventListener('message', listener);
    },
  });
  const conversations = await openConversationStore('device-lost');
  const store = testStore();
  let ids = 0;
  const actions = createChatActions(store, {
    loadModel: (source, options) => client.loadModel(source, options),
    fetchCatalog: async () => [catalogEntry('tiny-llava', await packageFiles('models/tiny-llava'))],
    conversations,
    decodeImage: async () => ({ width: 4, height: 4, data: new Uint8Array(64).fill(90) }),
    modelBaseUrl: '/models',
    backend: 'auto',
    now: () => performance.now(),
    clock: () => Date.now(),
    newId: () => `id-${++ids}`,
  });

  await actions.start('tiny-llava');
  expect(store.getState().load).toMatchObject({ status: 'ready', backend: 'webgpu' });
  store.getState().updateSettings({ maxNewTokens: 200, temperature: 0 });
  await actions.attachImages([{ blob: new Blob(['photo'], { type: 'image/jpeg' }), name: 'photo.jpg' }]);
  store.getState().setDraft('What is in this picture?');
  const loseAfterTwoTokens = store.subscribe((state) => {
    if ((state.generation?.tokenCount ?? 0) >= 2) loseDevice('the test destroyed the device');
  });
  await actions.send();
  loseAfterTwoTokens();

  const failed = store.getState().active?.messages;
  expect(failed?.map((m) => m.role)).toEqual(['user', 'assistant']);
  expect(failed?.[1]?.error?.code).toBe('device-lost');
  expect(store.getState().error?.message).toMatch(
    /the test destroyed the device.*WebAssembly.*conversation is kept/,
  );

  await expect.poll(() => store.getState().load.status, { timeout: 60_000 }).toBe('ready');
  expect(store.getState().load.backend).toBe('wasm');
  expect(backendsLoaded).toEqual(['webgpu', 'wasm']);

  store.getState().updateSettings({ maxNewTokens: 4 });
  await actions.regenerate();
  const messages = store.getState().active?.messages ?? [];
  expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  expect(messages[0]?.images?.map((image) => image.name)).toEqual(['photo.jpg']);
  expect(messages[1]?.error).toBeUndefined();
  expect(messages[1]?.text.length).toBeGreaterThan(0);
  const stored = await conversations.get(store.getState().active?.id ?? '');
  expect(stored?.messages.map((m) => m.text)).toEqual(messages.map((m) => m.text));
});
