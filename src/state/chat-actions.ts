/**
 * What the user can do, as plain functions: each talks to the engine (in the worker) and the conversation
 * store, and reports to the UI only by calling the store's setters. Components call these; they never
 * reach the worker themselves.
 */
import { GlimpseError } from '../engine/errors';
import type { DeviceClass } from '../engine/model/files';
import type { CpuSpeed } from '../engine/runtime/decode-cost';
import type { ChatMessage, Conversation, GenerateEvent, GenerateOptions, RgbaImage } from '../engine/types';
import type { StoredConversation, StoredMessage } from '../storage/conversation-types';
import type { ConversationStore } from '../storage/conversations';
import type { BackendPreference, ModelSource } from '../worker/protocol';
import type { RemoteLoadOptions, RemoteModel } from '../worker/worker-client';
import { defaultModelId, modelSource } from './catalog';
import { batchDeltas } from './delta-batch';
import type { CatalogEntry } from './models-slice';
import { generationOf } from './settings-slice';
import type { AppStore } from './store';

export interface ChatDeps {
  readonly loadModel: (source: ModelSource, options: RemoteLoadOptions) => Promise<RemoteModel>;
  readonly fetchCatalog: () => Promise<readonly CatalogEntry[]>;
  /** The device a load will run on (the worker's own rule), for the sizes shown before the first load. */
  readonly probeDevice?: () => Promise<DeviceClass>;
  /** Times the WebAssembly backend on this device, for the estimate the first screen shows before a download. */
  readonly measureCpuSpeed?: () => Promise<CpuSpeed>;
  /** The models with files in the model cache; one of them opens at start without asking. */
  readonly cachedModelIds?: () => Promise<readonly string[]>;
  readonly conversations: Pick<ConversationStore, 'list' | 'get' | 'put' | 'rename' | 'delete'>;
  /** Decodes and checks an image file; throws an 'image-invalid' GlimpseError saying what is wrong. */
  readonly decodeImage: (blob: Blob) => Promise<RgbaImage>;
  /** Where package files are served: `${modelBaseUrl}/${id}/…`. */
  readonly modelBaseUrl: string;
  readonly backend: BackendPreference;
  /**
   * Runs a callback before the page's next paint (requestAnimationFrame): a streaming answer's words reach the
   * store once a frame. Without it, each word reaches it at once.
   */
  readonly beforeNextFrame?: (callback: () => void) => void;
  /** A monotonic clock for live figures (performance.now). */
  readonly now: () => number;
  /** Wall-clock milliseconds for stored timestamps (Date.now). */
  readonly clock: () => number;
  readonly newId: () => string;
}

export interface ChatActions {
  /**
   * Lists models and conversations, then loads `modelId`, or else a cached model (the remembered one
   * first). With neither, nothing loads: the first screen recommends the registry's default.
   */
  start(modelId?: string): Promise<void>;
  loadModel(modelId: string): Promise<void>;
  /**
   * Decodes and checks each file now, so the composer shows only images the model can read; a file that
   * fails is refused at once with a message naming it, and the draft and other attachments stay.
   */
  attachImages(files: readonly ImageFile[]): Promise<void>;
  /** Takes an image out of the composer; a reading of it under way stops, and the images left are read. */
  removeAttachment(id: string): void;
  send(): Promise<void>;
  regenerate(): Promise<void>;
  /**
   * After an answer failed because the conversation outgrew the model's context: answers the last
   * question again, the model starting over from it (earlier turns dropped from its memory, never from
   * the stored conversation); later turns of this conversation do the same whenever they overflow.
   */
  continueAfterOverflow(): Promise<void>;
  stop(): void;
  newChat(): void;
  selectConversation(id: string): Promise<void>;
  renameConversation(id: string, title: string): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  /** Reads the conversation list again, after an import. */
  refreshConversations(): Promise<void>;
  /**
   * Another tab wrote these conversations: the list is read again and, unless an answer is streaming
   * into it here, the open one is reloaded, so this tab's next write does not drop the other's turns.
   */
  conversationsChangedElsewhere(ids: readonly string[]): Promise<void>;
}

/** A file to attach, from the file input, a drop, a paste, the camera or the share target. */
export interface ImageFile {
  readonly blob: Blob;
  readonly name: string;
}

export function createChatActions(store: AppStore, deps: ChatDeps): ChatActions {
  let model: RemoteModel | undefined;
  let loading: AbortController | undefined;
  let generating: AbortController | undefined;
  // Engine-side conversations of the loaded model, by stored conversation id; each keeps its KV cache.
  // Kept as the promise of its creation, so that a send and the preparation of its images get the same one.
  const open = new Map<string, Promise<Conversation>>();
  // Conversations whose user chose to go on past the context limit.
  const keepLastTurn = new Set<string>();
  // Attached images still decoding, one promise per attach; a send waits for those running when it starts.
  const preparing = new Set<Promise<void>>();
  // The readings ahead (readAhead), one after another; a turn starts once they have settled, whichever
  // conversation it is for, so that the model never runs two things at once.
  let readingAhead: Promise<void> = Promise.resolve();
  // The reading under way: the images it reads, and how to stop it.
  let reading: { readonly images: readonly RgbaImage[]; readonly controller: AbortController } | undefined;

  // What the next load asks the worker for; a lost GPU device turns it to wasm for the rest of the session.
  let backend: BackendPreference = deps.backend;

  const report = (err: unknown) => store.getState().showError(GlimpseError.from(err).toObject());

  function emptyConversation(): StoredConversation {
    const now = deps.clock();
    const modelId = store.getState().load.modelId ?? store.getState().selectedModelId ?? defaultModelId;
    return { id: deps.newId(), title: 'New chat', modelId, createdAt: now, updatedAt: now, messages: [] };
  }

  async function historyOf(messages: readonly StoredMessage[]): Promise<ChatMessage[]> {
    const history: ChatMessage[] = [];
    for (const message of messages) {
      // A failed answer has no text to restore; the question before it stays.
      if (message.error && message.text === '') continue;
      const images = await decodeAll(message.images ?? []);
      history.push(
        images.length > 0
          ? { role: message.role, text: message.text, images }
          : { role: message.role, text: message.text },
      );
    }
    return history;
  }

  function decodeAll(images: readonly { readonly blob: Blob }[]): Promise<RgbaImage[]> {
    return Promise.all(images.map(({ blob }) => deps.decodeImage(blob)));
  }

  function engineConversation(conversation: StoredConversation, upTo: number): Promise<Conversation> {
    const existing = open.get(conversation.id);
    if (existing) return existing;
    const loaded = model;
    if (!loaded) {
      return Promise.reject(
        new GlimpseError('model-not-loaded', 'The model is still loading. Send again once it is ready.'),
      );
    }
    const options = {
      systemPrompt: store.getState().settings.systemPrompt || undefined,
      overflow: keepLastTurn.has(conversation.id) ? ('keep-last-turn' as const) : ('error' as const),
    };
    const created = historyOf(conversation.messages.slice(0, upTo)).then((history) =>
      loaded.createConversation({ ...options, history }),
    );
    open.set(conversation.id, created);
    // A history that failed to decode is tried again by the next turn.
    created.catch(() => {
      if (open.get(conversation.id) === created) open.delete(conversation.id);
    });
    return created;
  }

  function closeConversation(id: string): void {
    open.get(id)?.then(
      (conversation) => conversation.dispose(),
      () => {},
    );
    open.delete(id);
  }

  /**
   * Reads the attached images into the conversation while the question is still being typed
   * (Conversation.prepare): on WebAssembly that is most of a photo question's wait. What goes wrong here
   * goes wrong again in the send, which reports it.
   */
  function readAhead(): void {
    readingAhead = readingAhead.then(prepareAttachments).catch(() => {});
  }

  async function prepareAttachments(): Promise<void> {
    const { active, attachments, generation } = store.getState();
    if (!model?.info.hasVision || !active || attachments.length === 0 || generation) return;
    const conversation = await engineConversation(active, active.messages.length);
    // A send that started meanwhile has moved the images to the worker, and reads them itself.
    if (store.getState().generation) return;
    const images = attachments.map((attachment) => attachment.image);
    const controller = new AbortController();
    reading = { images, controller };
    store.getState().readingAheadChanged(true);
    try {
      await conversation.prepare(images, { signal: controller.signal });
    } finally {
      reading = undefined;
      store.getState().readingAheadChanged(false);
    }
  }

  async function save(): Promise<void> {
    const { active } = store.getState();
    if (active && active.messages.length > 0) await deps.conversations.put(active);
  }

  async function consume(conversationId: string, events: AsyncIterable<GenerateEvent>): Promise<void> {
    const state = store.getState;
    const deltas = batchDeltas(
      (text, tokens, now) => state().deltaReceived(text, tokens, now),
      deps.beforeNextFrame,
    );
    try {
      for await (const event of events) {
        if (event.type === 'delta') deltas.push(event.text, Math.max(1, event.tokenIds.length), deps.now());
        else {
          deltas.flush();
          state().turnFinished(event.text, event.reason, event.stats);
        }
      }
    } catch (err) {
      deltas.flush();
      // The engine's conversation may be half-way through a turn: reopen it from the stored history next time.
      closeConversation(conversationId);
      const error = GlimpseError.from(err).toObject();
      state().turnFailed(error);
      if (error.code === 'device-lost') fallBackToWasm();
    } finally {
      generating = undefined;
      await save().catch(report);
    }
  }

  /** The GPU is gone for this session: the model loads again on WebAssembly, the conversation stays. */
  function fallBackToWasm(): void {
    backend = 'wasm';
    const modelId = store.getState().load.modelId;
    if (modelId) void actions.loadModel(modelId);
  }

  /** Claims the one turn that may run at a time; undefined while another is starting or streaming. */
  function claimTurn(): AbortController | undefined {
    if (store.getState().generation || generating) return undefined;
    generating = new AbortController();
    return generating;
  }

  /**
   * Every turn runs here: `begin` opens the answer in the store, `answer` starts the engine's stream with
   * the user's generation settings. A failure before or while streaming is recorded on the answer and saved.
   */
  async function runTurn(
    controller: AbortController,
    conversationId: string,
    begin: () => void,
    answer: (options: GenerateOptions) => Promise<AsyncIterable<GenerateEvent>>,
  ): Promise<void> {
    begin();
    try {
      await save();
      if (!(await settledBeforeAbort(readingAhead, controller.signal))) {
        // Stopped while the model still read the images ahead: the answer ends now, and so does the
        // reading. The engine never saw this turn, so its conversation is rebuilt from the stored one.
        reading?.controller.abort();
        closeConversation(conversationId);
        generating = undefined;
        store.getState().turnFinished('', 'aborted', undefined);
        await save();
        return;
      }
      const options = { ...generationOf(store.getState().settings), signal: controller.signal };
      await consume(conversationId, await answer(options));
    } catch (err) {
      generating = undefined;
      closeConversation(conversationId);
      store.getState().turnFailed(GlimpseError.from(err).toObject());
      await save().catch(report);
    }
  }

  /** A failed probe leaves no figure: the first screen then shows no estimate rather than a guess. */
  async function measureSpeed() {
    if (!deps.measureCpuSpeed) return;
    store.getState().setCpuSpeed({ status: 'measuring' });
    try {
      store.getState().setCpuSpeed({ status: 'measured', speed: await deps.measureCpuSpeed() });
    } catch {
      // Nothing to tell the person: the estimate is a courtesy, and the load itself says what went wrong.
      store.getState().setCpuSpeed({ status: 'failed' });
    }
  }

  /**
   * Reads the conversation list; a read that finishes after a later one started is dropped, so the
   * first screen's slow start cannot put back a list from before an import or another tab's write.
   */
  let listReads = 0;
  async function loadSummaries(): Promise<void> {
    const read = ++listReads;
    try {
      const summaries = await deps.conversations.list();
      if (read === listReads) store.getState().setSummaries(summaries);
    } catch (err) {
      report(err);
    }
  }

  const actions: ChatActions = {
    async start(modelId) {
      const [catalog] = await Promise.all([
        deps.fetchCatalog().catch((err: unknown) => {
          report(err);
          return [];
        }),
        loadSummaries(),
      ]);
      const state = store.getState();
      state.setCatalog(catalog);
      if (!state.active) state.openConversation(emptyConversation());
      const device = deps
        .probeDevice?.()
        .then((probed) => {
          store.getState().setDevice(probed);
          return probed;
        })
        .catch(() => undefined);
      if (modelId !== undefined) return actions.loadModel(modelId);
      const cached = new Set(await (deps.cachedModelIds?.() ?? Promise.resolve([])).catch(() => []));
      const remembered = state.selectedModelId;
      // A test package opens by itself only as the one last chosen.
      const usable = catalog.filter((m) => m.kind !== 'served' || m.test === undefined).map((m) => m.id);
      const id = [remembered, ...usable].find(
        (candidate) =>
          candidate !== undefined && cached.has(candidate) && catalog.some((m) => m.id === candidate),
      );
      if (id) return actions.loadModel(id);
      // The first screen shows, on WebAssembly, what a question will take here: only then is it worth a probe.
      void device?.then((probed) => {
        if (probed === 'wasm') return measureSpeed();
      });
    },

    async loadModel(modelId) {
      const state = store.getState();
      const entry = state.catalog.find((m) => m.id === modelId);
      if (!entry) {
        state.loadFailed(
          new GlimpseError('model-unknown', `There is no model "${modelId}" on this server.`, {
            details: { model: modelId },
          }).toObject(),
        );
        return;
      }
      loading?.abort();
      generating?.abort();
      const controller = new AbortController();
      loading = controller;
      for (const id of [...open.keys()]) closeConversation(id);
      model = undefined;
      state.selectModel(modelId);
      state.loadStarted(modelId);
      try {
        const source = await modelSource(entry, deps.modelBaseUrl, controller.signal);
        const loaded = await deps.loadModel(source, {
          backend,
          signal: controller.signal,
          onProgress: (progress) => {
            if (loading === controller) store.getState().loadProgressed(progress);
          },
        });
        if (loading !== controller) return;
        model = loaded;
        store.getState().loadSucceeded(loaded.info, loaded.backend, loaded.shaderF16);
        readAhead();
      } catch (err) {
        if (loading !== controller) return;
        store.getState().loadFailed(GlimpseError.from(err).toObject());
      } finally {
        if (loading === controller) loading = undefined;
      }
    },

    async attachImages(files) {
      store.getState().preparingImagesChanged(files.length);
      const decoding = (async () => {
        for (const file of files) {
          try {
            const image = await deps.decodeImage(file.blob);
            store.getState().addAttachment({ id: deps.newId(), blob: file.blob, name: file.name, image });
          } catch (err) {
            const error = GlimpseError.from(err, 'image-invalid').toObject();
            store.getState().showError({ ...error, message: `${file.name}: ${error.message}` });
          } finally {
            store.getState().preparingImagesChanged(-1);
          }
        }
      })();
      preparing.add(decoding);
      await decoding.finally(() => preparing.delete(decoding));
      readAhead();
    },

    removeAttachment(id) {
      store.getState().removeAttachment(id);
      const kept = new Set(store.getState().attachments.map((attachment) => attachment.image));
      if (!reading || reading.images.every((image) => kept.has(image))) return;
      reading.controller.abort();
      readAhead();
    },

    async send() {
      const text = store.getState().draft.trim();
      // A question asked while its image is still decoding goes with that image, not before it.
      if (preparing.size > 0) await Promise.all(preparing);
      const state = store.getState();
      const { attachments, active } = state;
      if ((text === '' && attachments.length === 0) || !active) return;
      if (!model) {
        state.showError(
          new GlimpseError(
            'model-not-loaded',
            'The model is still loading. Your message is kept; send it once it is ready.',
          ).toObject(),
        );
        return;
      }
      if (attachments.length > 0 && !model.info.hasVision) {
        state.showError(
          new GlimpseError(
            'model-text-only',
            `${state.load.modelId ?? 'This model'} reads text only. Remove the image, or pick a model that sees.`,
          ).toObject(),
        );
        return;
      }
      const imagePositions = attachments.length * (model.info.imageTokenCount ?? 0);
      if (imagePositions >= model.info.contextLength) {
        state.showError(
          new GlimpseError(
            'context-overflow',
            `These ${attachments.length} images need ${imagePositions} positions, but ${state.load.modelId ?? 'this model'} holds ${model.info.contextLength}. Remove some images and send again.`,
            {
              details: {
                images: attachments.length,
                imagePositions,
                contextLength: model.info.contextLength,
              },
            },
          ).toObject(),
        );
        return;
      }
      const loaded = model;
      const controller = claimTurn();
      if (!controller) return;
      const images = attachments.map((attachment) => attachment.image);
      const user: StoredMessage = {
        id: deps.newId(),
        role: 'user',
        text,
        ...(attachments.length > 0 ? { images: attachments.map(({ blob, name }) => ({ blob, name })) } : {}),
      };
      const previousCount = active.messages.length;
      const begin = () => {
        state.clearComposer({ text, attachmentIds: attachments.map((attachment) => attachment.id) });
        state.turnStarted(user, deps.newId(), deps.now(), deps.clock());
      };
      await runTurn(controller, active.id, begin, async (options) =>
        // A text-only package (stories260k) has no chat template: it continues the text it is given.
        loaded.info.hasVision
          ? (await engineConversation(active, previousCount)).send(
              images.length > 0 ? { text, images } : { text },
              options,
            )
          : loaded.complete(text, options),
      );
    },

    async regenerate() {
      const { active } = store.getState();
      const loaded = model;
      if (!active || !loaded || active.messages.at(-1)?.role !== 'assistant') return;
      const controller = claimTurn();
      if (!controller) return;
      const count = active.messages.length;
      const begin = () => store.getState().regenerateStarted(deps.newId(), deps.now(), deps.clock());
      await runTurn(controller, active.id, begin, async (options) =>
        loaded.info.hasVision
          ? (await engineConversation(active, count)).regenerate(options)
          : loaded.complete(active.messages.at(-2)?.text ?? '', options),
      );
    },

    async continueAfterOverflow() {
      const { active } = store.getState();
      const failed = active?.messages.at(-1);
      const question = active?.messages.at(-2);
      if (!active || !model) return;
      if (failed?.error?.code !== 'context-overflow' || question?.role !== 'user') return;
      const controller = claimTurn();
      if (!controller) return;
      keepLastTurn.add(active.id);
      closeConversation(active.id);
      const count = active.messages.length;
      const begin = () => store.getState().regenerateStarted(deps.newId(), deps.now(), deps.clock());
      await runTurn(controller, active.id, begin, async (options) => {
        const images = await decodeAll(question.images ?? []);
        const conversation = await engineConversation(active, count - 2);
        return conversation.send(
          images.length > 0 ? { text: question.text, images } : { text: question.text },
          options,
        );
      });
    },

    stop() {
      generating?.abort();
    },

    newChat() {
      const state = store.getState();
      if (state.generation) return;
      if (state.active?.messages.length === 0) return;
      state.openConversation(emptyConversation());
    },

    async selectConversation(id) {
      const state = store.getState();
      if (state.generation || state.active?.id === id) return;
      try {
        const conversation = await deps.conversations.get(id);
        if (conversation) store.getState().openConversation(conversation);
      } catch (err) {
        report(err);
      }
    },

    async renameConversation(id, title) {
      const trimmed = title.trim();
      if (trimmed === '') return;
      store.getState().conversationRenamed(id, trimmed);
      await deps.conversations.rename(id, trimmed).catch(report);
    },

    async deleteConversation(id) {
      const state = store.getState();
      if (state.generation?.conversationId === id) generating?.abort();
      closeConversation(id);
      keepLastTurn.delete(id);
      state.conversationDeleted(id);
      if (!store.getState().active) store.getState().openConversation(emptyConversation());
      await deps.conversations.delete(id).catch(report);
    },

    refreshConversations: loadSummaries,

    async conversationsChangedElsewhere(ids) {
      await actions.refreshConversations();
      const { active, generation } = store.getState();
      if (!active || generation || !ids.includes(active.id)) return;
      try {
        const fresh = await deps.conversations.get(active.id);
        // The engine's KV cache holds this tab's copy of the history: rebuild it from the stored one.
        closeConversation(active.id);
        if (store.getState().active?.id !== active.id || store.getState().generation) return;
        store.getState().openConversation(fresh ?? emptyConversation());
      } catch (err) {
        report(err);
      }
    },
  };
  return actions;
}

/** Whether `work` settled before `signal` aborted. */
function settledBeforeAbort(work: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    const settled = () => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    };
    work.then(settled, settled);
  });
}
