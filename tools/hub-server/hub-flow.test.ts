/**
 * Hub models as the picker loads them, below the UI: chat actions → worker client → inference host →
 * model cache → the local Hub stand-in serving each registry entry's look-alike package. A load must fetch
 * exactly the files of the device's download plan; an entered mirror URL and a picked folder load too.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import hubModels from '../../models/registry/hub-models.json';
import { createEngine } from '../../src/engine';
import {
  catalogEntry,
  findEnteredModel,
  folderEntry,
  hubCatalog,
  registryEntry,
} from '../../src/state/catalog';
import { type ChatActions, createChatActions } from '../../src/state/chat-actions';
import type { AppStore } from '../../src/state/store';
import { testStore } from '../../src/state/test-store';
import { openConversationStore } from '../../src/storage/conversations';
import type { FolderFile } from '../../src/storage/folder-reader';
import { parseRegistry } from '../../src/storage/hub-registry';
import { createNodeFileStore } from '../../src/storage/node-file-store';
import { createInferenceHost } from '../../src/worker/inference-host';
import { createModelReader } from '../../src/worker/model-reader';
import { isRequest, type Reply } from '../../src/worker/protocol';
import { WorkerClient } from '../../src/worker/worker-client';
import { type HubServer, startHubServer } from './hub-server';

let server: HubServer;
let cacheDir: string;
const channel = new MessageChannel();

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  server = await startHubServer({ root: 'models/hub' });
  cacheDir = await mkdtemp(join(tmpdir(), 'glimpse-hub-load-'));
  const store = createNodeFileStore(cacheDir);
  const host = createInferenceHost({
    engine: createEngine(ort),
    createReader: (source) => createModelReader(source, async () => store, server.origin),
    gpu: undefined,
    post: (reply: Reply) => channel.port2.postMessage(reply),
  });
  channel.port2.addEventListener('message', (event) => {
    if (isRequest(event.data)) void host.handle(event.data);
  });
  channel.port1.start();
  channel.port2.start();
});

afterAll(async () => {
  channel.port1.close();
  channel.port2.close();
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

let dbCounter = 0;

async function startApp(cached: readonly string[] = []): Promise<{ store: AppStore; actions: ChatActions }> {
  const store = testStore();
  const client = new WorkerClient({
    postMessage: (message, transfer) => channel.port1.postMessage(message, transfer),
    addEventListener(type: string, listener: (event: MessageEvent<unknown>) => void) {
      if (type === 'message') channel.port1.addEventListener('message', listener);
    },
  });
  const registry = parseRegistry(hubModels);
  const actions = createChatActions(store, {
    loadModel: (source, options) => client.loadModel(source, options),
    fetchCatalog: async () => [
      ...registry.models.map((entry) => registryEntry(entry, server.origin)),
      catalogEntry('tiny-llava', [], { note: 'Random vision weights: answers are not about the picture.' }),
    ],
    cachedModelIds: async () => cached,
    conversations: await openConversationStore(`hub-load-${++dbCounter}`),
    decodeImage: async () => {
      throw new Error('These tests send no image.');
    },
    modelBaseUrl: '/models',
    backend: 'wasm',
    now: () => performance.now(),
    clock: () => Date.now(),
    newId: () => crypto.randomUUID(),
  });
  store.getState().updateSettings({ maxNewTokens: 4, temperature: 0 });
  return { store, actions };
}

/** The ONNX files the stand-in served for a repository. */
function onnxFetched(repo: string): string[] {
  const files = server.requests
    .filter((request) => request.method === 'GET' && request.url.startsWith(`/${repo}/`))
    .map((request) => request.url.replace(/^.*\/resolve\/[^/]+\//, ''))
    .filter((path) => path.endsWith('.onnx'));
  return [...new Set(files)].sort();
}

async function answer(store: AppStore, actions: ChatActions): Promise<string | undefined> {
  store.getState().setDraft('Hello');
  await actions.send();
  const reply = store.getState().active?.messages[1];
  expect(reply?.error).toBeUndefined();
  return reply?.text;
}

describe('Hub models in the app', () => {
  it('loads nothing by itself on a first visit, not even a cached test package', async () => {
    const { store, actions } = await startApp(['tiny-llava']);
    const from = server.requests.length;
    await actions.start();
    expect(store.getState().load).toMatchObject({ status: 'idle', modelId: undefined });
    expect(server.requests.length).toBe(from);
  });

  it('opens a cached model without asking', async () => {
    const { store, actions } = await startApp(['tiny-llava', 'Xenova/nanoLLaVA']);
    await actions.start();
    expect(store.getState().load).toMatchObject({ status: 'ready', modelId: 'Xenova/nanoLLaVA' });
  });

  it('offers every registry model, the default first, with a plan per device', () => {
    const catalog = hubCatalog();
    expect(catalog[0]?.id).toBe(parseRegistry(hubModels).defaultId);
    for (const entry of catalog)
      expect(Object.keys(entry.plans).sort()).toEqual(['wasm', 'webgpu', 'webgpu-f16']);
  });

  it.each(parseRegistry(hubModels).models.map((entry) => entry.id))(
    'loads %s through the Hub URL layout, fetching only the plan’s files, and answers',
    async (id) => {
      const { store, actions } = await startApp();
      await actions.start(id);
      expect(store.getState().load.error).toBeUndefined();
      expect(store.getState().load).toMatchObject({ status: 'ready', backend: 'wasm', modelId: id });
      const entry = store.getState().catalog.find((candidate) => candidate.id === id);
      if (entry?.kind !== 'hub') throw new Error(`${id} is not a Hub entry`);
      const planned = entry.plans.wasm?.files.map((file) => file.path).sort();
      expect(onnxFetched(id)).toEqual(planned);
      expect((await answer(store, actions))?.length).toBeGreaterThan(0);
    },
  );

  it('loads a repository someone entered on a mirror, after listing it for its download size', async () => {
    const { store, actions } = await startApp();
    await actions.start();
    const page = `${server.origin}/llava-hf/llava-interleave-qwen-0.5b-hf/tree/main`;
    const entry = await findEnteredModel(page, 'wasm', server.origin);
    expect(entry.plans.wasm?.dtype).toEqual({
      vision_encoder: 'int8',
      embed_tokens: 'fp16',
      decoder_model_merged: 'quantized',
    });
    expect(entry.plans.wasm?.totalBytes).toBeGreaterThan(300_000);
    store.getState().addCatalogEntry(entry);
    await actions.loadModel(entry.id);
    expect(store.getState().load).toMatchObject({ status: 'ready', modelId: entry.id });
  });

  it('refuses a model whose CDN bytes are corrupted, naming the file, and loads nothing', async () => {
    const { store, actions } = await startApp();
    const id = 'onnx-community/FastVLM-0.5B-ONNX';
    const file = 'onnx/decoder_model_merged_quantized.onnx';
    // Downloaded afresh: an earlier test cached this model.
    await rm(join(cacheDir, encodeURIComponent(id)), { recursive: true, force: true });
    server.corrupt.add(`${id}/${file}`);
    try {
      await actions.start(id);
    } finally {
      server.corrupt.clear();
    }
    expect(store.getState().load).toMatchObject({
      status: 'error',
      error: { message: expect.stringMatching(new RegExp(`${file} did not match its checksum`)) },
    });
  });

  it('loads a picked folder without a request to any server', async () => {
    const { store, actions } = await startApp();
    await actions.start();
    const dir = 'models/hub/Xenova/nanoLLaVA';
    const files: FolderFile[] = [];
    for (const file of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile() || file.name.startsWith('.')) continue;
      const path = join(file.parentPath, file.name);
      files.push({ path: relative(dir, path), file: new Blob([await readFile(path)]) });
    }
    const from = server.requests.length;
    const entry = folderEntry('nanoLLaVA', files);
    store.getState().addCatalogEntry(entry);
    await actions.loadModel(entry.id);
    expect(store.getState().load).toMatchObject({ status: 'ready', modelId: 'folder:nanoLLaVA' });
    expect(server.requests.length).toBe(from);
    expect((await answer(store, actions))?.length).toBeGreaterThan(0);
  });
});
