/**
 * The chat actions against an engine that records what it is asked: which options a turn carries, when a
 * turn may start, and what a failed start leaves in the stored conversation.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Conversation, GenerateEvent, GenerateOptions, RgbaImage, UserTurn } from '../engine/types';
import type { StoredConversation } from '../storage/conversation-types';
import { answerEvents, doneEvent, testModelInfo } from '../testing/engine-fixtures';
import type { RemoteModel } from '../worker/worker-client';
import { catalogEntry } from './catalog';
import { type ChatDeps, createChatActions } from './chat-actions';
import { generationOf } from './settings-slice';
import { testStore } from './test-store';

const pixel: RgbaImage = { width: 1, height: 1, data: new Uint8Array(4) };

/** A model whose turns record their options; `fail` makes the next turn throw before its first token. */
function recordingModel(hasVision = true) {
  const turns: { kind: string; turn?: UserTurn; options: GenerateOptions }[] = [];
  /** The images of each preparation, and which conversation (by creation order) it was asked of. */
  const prepared: { conversation: number; images: readonly RgbaImage[]; signal?: AbortSignal }[] = [];
  let conversations = 0;
  const control = { fail: false, reading: Promise.resolve() };
  const run = (kind: string, options: GenerateOptions = {}, turn?: UserTurn) => {
    turns.push({ kind, options, ...(turn ? { turn } : {}) });
    if (control.fail) throw new Error('The engine broke.');
    return answerEvents(`answer ${turns.length}`);
  };
  const model: RemoteModel = {
    info: testModelInfo(hasVision),
    backend: 'wasm',
    shaderF16: false,
    createConversation: (): Conversation => {
      const conversation = ++conversations;
      return {
        messages: [],
        send: (turn, options) => run(`send to ${conversation}`, options, turn),
        regenerate: (options) => run('regenerate', options),
        prepare: async (images, options) => {
          prepared.push({ conversation, images, ...(options?.signal ? { signal: options.signal } : {}) });
          // As the engine does, a stopped reading ends at once, rejected.
          await new Promise<void>((resolve, reject) => {
            control.reading.then(resolve, reject);
            options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          });
        },
        dispose() {},
      };
    },
    complete: (_prompt, options) => run('complete', options),
    dispose: async () => {},
  };
  return { model, turns, prepared, control };
}

function startApp(
  model: RemoteModel,
  decodeImage: ChatDeps['decodeImage'] = async () => pixel,
  loaded: Promise<RemoteModel> = Promise.resolve(model),
  extra: Partial<ChatDeps> = {},
) {
  const store = testStore();
  const saved: StoredConversation[] = [];
  let id = 0;
  const actions = createChatActions(store, {
    loadModel: () => loaded,
    fetchCatalog: async () => [catalogEntry('m', [{ path: 'config.json', size: 1 }])],
    conversations: {
      list: async () => [],
      get: async () => undefined,
      put: async (conversation) => {
        saved.push(conversation);
      },
      rename: async () => {},
      delete: async () => {},
    },
    decodeImage,
    modelBaseUrl: '/models',
    backend: 'wasm',
    now: () => 0,
    clock: () => 0,
    newId: () => `id${++id}`,
    ...extra,
  });
  return { store, actions, saved };
}

describe('chat actions', () => {
  it('gives each turn the settings the user changed, every option of them, and nothing else', async () => {
    const { model, turns } = recordingModel();
    const { store, actions } = startApp(model);
    await actions.start('m');
    const changed = {
      temperature: 0.8,
      topK: 7,
      repetitionPenalty: 1.2,
      seed: 5,
      draftTokens: 2,
      maxNewTokens: 9,
    };
    store.getState().updateSettings(changed);
    store.getState().setDraft('Hi');
    await actions.send();
    await actions.regenerate();
    expect(turns.map((t) => t.kind)).toEqual(['send to 1', 'regenerate']);
    for (const { options } of turns) {
      const { signal, ...settings } = options;
      expect(signal).toBeInstanceOf(AbortSignal);
      expect(settings).toEqual(changed);
      expect(settings).toEqual(generationOf(store.getState().settings));
    }
  });

  it('brings a streamed answer to the store once a frame, and whole at its end', async () => {
    const { model } = recordingModel();
    let midway!: () => void;
    const reachedMidway = new Promise<void>((resolve) => {
      midway = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* words(): AsyncGenerator<GenerateEvent> {
      for (const word of ['Two ', 'boats ', 'at ']) yield { type: 'delta', text: word, tokenIds: [1] };
      midway();
      await released;
      yield { type: 'delta', text: 'sea', tokenIds: [1] };
      yield doneEvent('Two boats at sea');
    }
    const streaming: RemoteModel = {
      ...model,
      createConversation: () => ({ ...model.createConversation(), send: () => words() }),
    };
    const frames: (() => void)[] = [];
    const { store, actions } = startApp(streaming, undefined, undefined, {
      beforeNextFrame: (callback) => frames.push(callback),
    });
    await actions.start('m');
    store.getState().setDraft('What is here?');
    const sent = actions.send();
    await reachedMidway;
    const answer = () => store.getState().active?.messages.at(-1);
    expect(answer()?.text).toBe('');
    expect(frames).toHaveLength(1);
    frames.shift()?.();
    expect(answer()?.text).toBe('Two boats at ');
    expect(store.getState().generation?.tokenCount).toBe(3);
    release();
    await sent;
    expect(answer()?.text).toBe('Two boats at sea');
    expect(store.getState().generation).toBeUndefined();
    for (const frame of frames) frame();
    expect(answer()?.text).toBe('Two boats at sea');
  });

  it('starts no regeneration while a send is still starting', async () => {
    const { model, turns } = recordingModel();
    const { store, actions } = startApp(model);
    await actions.start('m');
    store.getState().setDraft('First');
    await actions.send();
    store.getState().setDraft('Second');
    await actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    const sending = actions.send();
    await actions.regenerate();
    await actions.continueAfterOverflow();
    await sending;
    expect(turns.map((t) => [t.kind, t.turn?.text, t.turn?.images?.length])).toEqual([
      ['send to 1', 'First', undefined],
      ['send to 1', 'Second', 1],
    ]);
  });

  it('sends a question asked while its image is still decoding with that image, and keeps later ones', async () => {
    const { model, turns } = recordingModel();
    let finishDecode = () => {};
    const decodeImage = () =>
      new Promise<RgbaImage>((resolve) => {
        finishDecode = () => resolve(pixel);
      });
    const { store, actions } = startApp(model, decodeImage);
    await actions.start('m');
    const attaching = actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    expect(store.getState().preparingImages).toBe(1);
    store.getState().setDraft('What colour is it?');
    const sending = actions.send();
    store.getState().setDraft('What colour is it? And the next one?');
    finishDecode();
    await Promise.all([attaching, sending]);
    expect(turns.map((t) => [t.turn?.text, t.turn?.images?.length])).toEqual([['What colour is it?', 1]]);
    expect(store.getState()).toMatchObject({ preparingImages: 0, attachments: [] });
    expect(store.getState().draft).toBe('What colour is it? And the next one?');
  });

  it('reads attached images ahead of the send, in the conversation the send then goes to', async () => {
    const { model, turns, prepared } = recordingModel();
    const { store, actions } = startApp(model);
    await actions.start('m');
    await actions.attachImages([
      { blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' },
      { blob: new Blob(['y'], { type: 'image/png' }), name: 'b.png' },
    ]);
    await vi.waitFor(() => expect(prepared).toHaveLength(1));
    expect(prepared[0]).toMatchObject({ conversation: 1, images: [pixel, pixel] });
    store.getState().setDraft('Which is brighter?');
    await actions.send();
    expect(turns.map((t) => [t.kind, t.turn?.images?.length])).toEqual([['send to 1', 2]]);
  });

  it('starts a turn, in any conversation, only once the reading ahead under way has ended', async () => {
    const { model, turns, prepared, control } = recordingModel();
    const { store, actions } = startApp(model);
    await actions.start('m');
    store.getState().setDraft('First');
    await actions.send();
    let finishReading = () => {};
    control.reading = new Promise((resolve) => {
      finishReading = resolve;
    });
    await actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    await vi.waitFor(() => expect(prepared).toHaveLength(1));
    store.getState().removeAttachment(store.getState().attachments[0]?.id ?? '');
    actions.newChat();
    store.getState().setDraft('Hello?');
    const sending = actions.send();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(turns).toHaveLength(1);
    finishReading();
    await sending;
    expect(turns.map((t) => [t.kind, t.turn?.text])).toEqual([
      ['send to 1', 'First'],
      ['send to 2', 'Hello?'],
    ]);
  });

  it('ends an answer stopped while its images are still read at once, and stops the reading', async () => {
    const { model, turns, prepared, control } = recordingModel();
    const { store, actions, saved } = startApp(model);
    await actions.start('m');
    control.reading = new Promise(() => {});
    await actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    await vi.waitFor(() => expect(store.getState().readingAhead).toBe(true));
    store.getState().setDraft('What is it?');
    const sending = actions.send();
    await vi.waitFor(() => expect(store.getState().generation).toBeDefined());
    actions.stop();
    await sending;
    expect(prepared[0]?.signal?.aborted).toBe(true);
    expect(store.getState().generation).toBeUndefined();
    const messages = store.getState().active?.messages ?? [];
    expect(messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'What is it?'],
      ['assistant', ''],
    ]);
    expect(store.getState().stoppedMessageIds.has(messages[1]?.id ?? '')).toBe(true);
    expect(saved.at(-1)?.messages).toHaveLength(2);
    // The engine never saw the stopped turn: the next one goes to a conversation rebuilt from the stored one.
    control.reading = Promise.resolve();
    store.getState().setDraft('And now?');
    await actions.send();
    expect(turns.map((t) => t.kind)).toEqual(['send to 2']);
  });

  it('stops reading an image the user removes, and reads the images left', async () => {
    const { model, prepared, control } = recordingModel();
    let decoded = 0;
    const distinct = async (): Promise<RgbaImage> => ({
      ...pixel,
      data: new Uint8Array([++decoded, 0, 0, 0]),
    });
    const { store, actions } = startApp(model, distinct);
    await actions.start('m');
    let finishReading = () => {};
    control.reading = new Promise((resolve) => {
      finishReading = resolve;
    });
    await actions.attachImages([
      { blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' },
      { blob: new Blob(['y'], { type: 'image/png' }), name: 'b.png' },
    ]);
    await vi.waitFor(() => expect(prepared).toHaveLength(1));
    const [first, second] = store.getState().attachments;
    actions.removeAttachment(first?.id ?? '');
    expect(prepared[0]?.signal?.aborted).toBe(true);
    control.reading = Promise.resolve();
    finishReading();
    await vi.waitFor(() => expect(prepared).toHaveLength(2));
    expect(prepared[1]?.images).toEqual([second?.image]);
    await vi.waitFor(() => expect(store.getState().readingAhead).toBe(false));
  });

  it('reads no image ahead for a model that reads text only, or before any model is loaded', async () => {
    const textOnly = recordingModel(false);
    const app = startApp(textOnly.model);
    await app.actions.start('m');
    await app.actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    let finishLoad = (_model: RemoteModel) => {};
    const later = recordingModel();
    const early = startApp(
      later.model,
      undefined,
      new Promise<RemoteModel>((resolve) => {
        finishLoad = resolve;
      }),
    );
    const starting = early.actions.start('m');
    await early.actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    expect(later.prepared).toEqual([]);
    finishLoad(later.model);
    await starting;
    // Once the model is there, the images attached while it loaded are read ahead too.
    await vi.waitFor(() => expect(later.prepared).toHaveLength(1));
    expect(textOnly.prepared).toEqual([]);
  });

  it('refuses, before anything runs, more images than the model context can hold, keeping them', async () => {
    const { model, turns } = recordingModel();
    const { store, actions } = startApp(model);
    await actions.start('m');
    const { imageTokenCount = 0, contextLength } = store.getState().load.info ?? { contextLength: 0 };
    const tooMany = Math.floor(contextLength / imageTokenCount) + 1;
    await actions.attachImages(
      Array.from({ length: tooMany }, (_, i) => ({ blob: new Blob(['x']), name: `${i}.png` })),
    );
    store.getState().setDraft('Compare them.');
    await actions.send();
    expect(store.getState().error).toMatchObject({
      code: 'context-overflow',
      message: expect.stringMatching(/Remove some images/),
    });
    expect(turns).toEqual([]);
    expect(store.getState().attachments).toHaveLength(tooMany);
    expect(store.getState().draft).toBe('Compare them.');
  });

  it('saves the failure of a turn that could not start, for a regeneration as for a send', async () => {
    const { model, control } = recordingModel();
    const { store, actions, saved } = startApp(model);
    await actions.start('m');
    store.getState().setDraft('Hi');
    await actions.send();
    control.fail = true;
    await actions.regenerate();
    const last = saved.at(-1)?.messages.at(-1);
    expect(last).toMatchObject({
      role: 'assistant',
      error: { code: 'internal', message: 'The engine broke.' },
    });
    expect(store.getState().generation).toBeUndefined();
  });

  it('says what went wrong with codes of their own', async () => {
    const textOnly = startApp(recordingModel(false).model);
    await textOnly.actions.start('m');
    textOnly.store.getState().setDraft('What is this?');
    await textOnly.actions.attachImages([{ blob: new Blob(['x'], { type: 'image/png' }), name: 'a.png' }]);
    await textOnly.actions.send();
    expect(textOnly.store.getState().error?.code).toBe('model-text-only');

    await textOnly.actions.loadModel('nope');
    expect(textOnly.store.getState().load.error?.code).toBe('model-unknown');

    const { model } = recordingModel();
    const early = startApp(model, undefined, new Promise<RemoteModel>(() => {}));
    void early.actions.start('m');
    await expect.poll(() => early.store.getState().load.status).toBe('downloading');
    early.store.getState().setDraft('Hi');
    await early.actions.send();
    expect(early.store.getState().error?.code).toBe('model-not-loaded');
  });
});

describe('the conversation list', () => {
  const imported = {
    id: 'imported',
    title: 'Imported',
    modelId: 'm',
    createdAt: 0,
    updatedAt: 0,
    messageCount: 2,
  };

  /** The first screen's catalog and list reads, and an import's list read, each finishing when the test says. */
  function slowStart() {
    const lists: ((summaries: (typeof imported)[]) => void)[] = [];
    let catalogArrives = () => {};
    const { store, actions } = startApp(recordingModel().model, undefined, undefined, {
      fetchCatalog: () => new Promise((resolve) => (catalogArrives = () => resolve([]))),
      conversations: {
        list: () => new Promise((resolve) => lists.push(resolve)),
        get: async () => undefined,
        put: async () => {},
        rename: async () => {},
        delete: async () => {},
      },
    });
    return { store, actions, lists, catalogArrives: () => catalogArrives() };
  }

  it('keeps what an import listed when the first screen finishes starting after it', async () => {
    const { store, actions, lists, catalogArrives } = slowStart();
    const started = actions.start();
    lists[0]?.([]);
    const refreshed = actions.refreshConversations();
    lists[1]?.([imported]);
    await refreshed;
    catalogArrives();
    await started;
    expect(store.getState().summaries).toEqual([imported]);
  });

  it('drops a list read that finishes after a later one', async () => {
    const { store, actions, lists, catalogArrives } = slowStart();
    const started = actions.start();
    const refreshed = actions.refreshConversations();
    lists[1]?.([imported]);
    await refreshed;
    lists[0]?.([]);
    catalogArrives();
    await started;
    expect(store.getState().summaries).toEqual([imported]);
  });
});

describe('the speed probe before a download', () => {
  const speed = {
    rowBytesPerSecond: 1e9,
    macsPerSecond: 1e10,
    freshBytesPerSecond: 1e9,
    copyBytesPerSecond: 1e9,
  };

  function start(device: 'wasm' | 'webgpu', measure: () => Promise<typeof speed>) {
    const calls = { measured: 0 };
    const { store, actions } = startApp(recordingModel().model, undefined, undefined, {
      probeDevice: async () => device,
      measureCpuSpeed: () => {
        calls.measured++;
        return measure();
      },
    });
    return { store, actions, calls };
  }

  it('measures the WebAssembly backend once the device is known to have no WebGPU', async () => {
    const { store, actions } = start('wasm', async () => speed);
    await actions.start(undefined);
    await vi.waitFor(() => expect(store.getState().cpuSpeed).toEqual({ status: 'measured', speed }));
  });

  it('leaves no figure when the measurement fails', async () => {
    const { store, actions } = start('wasm', async () => {
      throw new Error('no wasm');
    });
    await actions.start(undefined);
    await vi.waitFor(() => expect(store.getState().cpuSpeed).toEqual({ status: 'failed' }));
    expect(store.getState().error).toBeUndefined();
  });

  it('measures nothing when a model loads at once', async () => {
    const { store, actions, calls } = start('wasm', async () => speed);
    await actions.start('m');
    await vi.waitFor(() => expect(store.getState().device).toBe('wasm'));
    expect(calls.measured).toBe(0);
  });

  it('measures nothing on WebGPU', async () => {
    const { store, actions, calls } = start('webgpu', async () => speed);
    await actions.start(undefined);
    await vi.waitFor(() => expect(store.getState().device).toBe('webgpu'));
    expect(calls.measured).toBe(0);
    expect(store.getState().cpuSpeed).toEqual({ status: 'idle' });
  });
});
