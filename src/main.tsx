import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { deviceClass } from './engine/model/files';
import { catalogEntry, fetchCatalog, hubCatalog } from './state/catalog';
import { createChatActions } from './state/chat-actions';
import { GlimpseError } from './state/errors';
import type { CatalogEntry } from './state/models-slice';
import { createAppStore } from './state/store';
import { listCachedModels } from './storage/cached-models';
import { broadcastConversationChanges, conversationChannelName } from './storage/conversation-broadcast';
import { openConversationStore } from './storage/conversations';
import { openModelStore, readStoredManifests } from './storage/model-storage';
import { requestPersistentStorage } from './storage/persistence';
import { takeSharedItems } from './storage/shared-files';
import { App } from './ui/App';
import { AppProvider } from './ui/app-context';
import { decodeImage } from './ui/image/decode-image';
import { chooseBackend } from './worker/backend';
import type { BackendPreference } from './worker/protocol';
import { WorkerClient } from './worker/worker-client';
import './ui/styles.css';

function backendParam(value: string | null): BackendPreference {
  return value === 'webgpu' || value === 'wasm' ? value : 'auto';
}

/** The served model list; offline, the models already in the cache. */
async function listModels(): Promise<CatalogEntry[]> {
  try {
    return await fetchCatalog();
  } catch (err) {
    const cached = await readStoredManifests(await openModelStore()).catch(() => []);
    if (cached.length === 0) throw err;
    return [...cached.map(({ modelId, files }) => catalogEntry(modelId, files)), ...hubCatalog()];
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const worker = new Worker(new URL('./worker/inference.worker.ts', import.meta.url), { type: 'module' });
  const client = new WorkerClient(worker);
  const store = createAppStore(localStorage);
  // Conversations written in one tab reach the others' lists (and open conversation) at once.
  const conversations = broadcastConversationChanges(
    await openConversationStore(),
    new BroadcastChannel(conversationChannelName),
    (ids) => void actions.conversationsChangedElsewhere(ids),
  );
  const actions = createChatActions(store, {
    loadModel: (source, options) => client.loadModel(source, options),
    fetchCatalog: listModels,
    // The worker's own rule, asked once more here only for the sizes the first screen shows.
    probeDevice: async () => {
      const choice = await chooseBackend(backendParam(params.get('backend')), navigator.gpu);
      return deviceClass(choice.backend, choice.shaderF16);
    },
    measureCpuSpeed: () => client.measureCpuSpeed(),
    cachedModelIds: async () => (await listCachedModels(await openModelStore())).map((m) => m.modelId),
    conversations,
    decodeImage,
    modelBaseUrl: '/models',
    backend: backendParam(params.get('backend')),
    beforeNextFrame: (callback) => requestAnimationFrame(callback),
    now: () => performance.now(),
    clock: () => Date.now(),
    newId: () => crypto.randomUUID(),
  });
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root element.');
  createRoot(root).render(
    <StrictMode>
      <AppProvider store={store} actions={actions}>
        <App conversations={conversations} />
      </AppProvider>
    </StrictMode>,
  );
  // Opened by the share target: the shared images reach the composer through the checks every image passes.
  const shareId = params.get('share');
  if (shareId) {
    params.delete('share');
    history.replaceState(null, '', `${location.pathname}${params.size > 0 ? `?${params}` : ''}`);
    void takeSharedItems(shareId).then(
      async ({ files, text }) => {
        if (text !== '' && store.getState().draft === '') store.getState().setDraft(text);
        await actions.attachImages(files);
      },
      (err: unknown) => store.getState().showError(GlimpseError.from(err).toObject()),
    );
  }
  // Cached models and conversations should survive storage pressure; Chromium decides without a prompt.
  void requestPersistentStorage();
  await actions.start(params.get('model') ?? undefined);
}

void main();
