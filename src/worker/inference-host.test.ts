/**
 * The worker's host on its own, with engines that record what reaches them: what a request carries gets to
 * the engine unchanged, and loads that race leave one model in memory.
 */
import { describe, expect, it } from 'vitest';
import type {
  Conversation,
  GenerateEvent,
  GenerateOptions,
  GlimpseEngine,
  LoadedModel,
  LoadOptions,
  RgbaImage,
} from '../engine/types';
import { answerEvents, testModelInfo } from '../testing/engine-fixtures';
import { createInferenceHost } from './inference-host';
import type { BackendPreference, Reply, Request } from './protocol';

/** A model that answers "ok" and records the options of each turn and whether it was released. */
class RecordingModel implements LoadedModel {
  readonly info = testModelInfo();
  readonly options: GenerateOptions[] = [];
  /** The images of each preparation, in order. */
  readonly prepared: (readonly RgbaImage[])[] = [];
  /** The signal of each preparation, in order. */
  readonly preparedSignals: (AbortSignal | undefined)[] = [];
  readonly name: string;
  released = false;

  constructor(name: string) {
    this.name = name;
  }

  createConversation(): Conversation {
    const answer = (options: GenerateOptions = {}) => {
      this.options.push(options);
      return answerEvents('ok');
    };
    return {
      messages: [],
      send: (_turn, options) => answer(options),
      regenerate: answer,
      prepare: async (images, options) => {
        this.prepared.push(images);
        this.preparedSignals.push(options?.signal);
      },
      dispose() {},
    };
  }

  complete(_prompt: string, options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    return this.createConversation().send({ text: '' }, options);
  }

  async dispose(): Promise<void> {
    this.released = true;
  }
}

function hostWith(engine: GlimpseEngine, deps: Partial<Parameters<typeof createInferenceHost>[0]> = {}) {
  const replies: Reply[] = [];
  const host = createInferenceHost({
    engine,
    createReader: async (source) => ({ location: source.id, read: async () => null }),
    gpu: undefined,
    post: (reply) => replies.push(reply),
    ...deps,
  });
  return { host, replies };
}

/** An engine that keeps the options of every load it is asked for. */
function recordingLoads() {
  const loads: LoadOptions[] = [];
  const engine = {
    loadModel: async (_reader: unknown, options: LoadOptions) => {
      loads.push(options);
      return new RecordingModel('a');
    },
  };
  return { engine, loads };
}

const loadRequest = (id: number, model: string, backend: BackendPreference = 'wasm'): Request => ({
  id,
  kind: 'load',
  payload: { source: { id: model, baseUrl: `/models/${model}/` }, backend },
});

/** A host with a RecordingModel loaded (request 1) and conversation 'c' open (request 2). */
async function openConversationC() {
  const model = new RecordingModel('a');
  const { host, replies } = hostWith({ loadModel: async () => model });
  await host.handle(loadRequest(1, 'a'));
  await host.handle({
    id: 2,
    kind: 'open-conversation',
    payload: { conversationId: 'c', systemPrompt: '', history: [] },
  });
  return { model, host, replies };
}

describe('inference host', () => {
  it('hands every generation option of a request to the engine, and only the signal is its own', async () => {
    const { model, host, replies } = await openConversationC();
    const settings = {
      temperature: 0.7,
      topP: 0.9,
      topK: 20,
      repetitionPenalty: 1.3,
      seed: 11,
      maxNewTokens: 5,
      stopStrings: ['END'],
      draftTokens: 2,
    };
    await host.handle({
      id: 3,
      kind: 'send',
      payload: { conversationId: 'c', turn: { text: 'hi' }, settings },
    });
    await host.handle({ id: 4, kind: 'regenerate', payload: { conversationId: 'c', settings: {} } });
    await host.handle({ id: 5, kind: 'complete', payload: { prompt: 'Once', settings: { seed: 3 } } });

    expect(replies.filter((r) => r.kind === 'error')).toEqual([]);
    const [sent, regenerated, completed] = model.options;
    expect(sent).toEqual({ ...settings, signal: expect.any(AbortSignal) });
    // Nothing is filled in on the way: what the caller left out takes the model's defaults in the engine.
    expect(regenerated).toEqual({ signal: expect.any(AbortSignal) });
    expect(completed).toEqual({ seed: 3, signal: expect.any(AbortSignal) });
  });

  it("hands the images of a message still being written to that conversation's preparation", async () => {
    const { model, host, replies } = await openConversationC();
    const image = { width: 1, height: 1, data: Uint8Array.of(1, 2, 3, 255) };
    await host.handle({ id: 3, kind: 'prepare', payload: { conversationId: 'c', images: [image] } });
    await host.handle({ id: 4, kind: 'prepare', payload: { conversationId: 'gone', images: [image] } });
    expect(model.prepared).toEqual([[image]]);
    expect(replies.filter((r) => r.id >= 3).map((r) => [r.id, r.kind])).toEqual([
      [3, 'result'],
      [4, 'error'],
    ]);
    // The page stops a reading (its image was removed) as it stops a turn.
    const reading = host.handle({
      id: 5,
      kind: 'prepare',
      payload: { conversationId: 'c', images: [image] },
    });
    await host.handle({ id: 6, kind: 'abort', payload: { requestId: 5 } });
    await reading;
    expect(model.preparedSignals.at(-1)?.aborted).toBe(true);
  });

  it('asks the engine for graph capture only where the runtime honours it', async () => {
    const { engine, loads } = recordingLoads();
    const gpu = { requestAdapter: async () => ({ features: new Set<string>(), info: {} }) };
    for (const graphCapture of [true, undefined]) {
      const { host } = hostWith(engine, { gpu, ...(graphCapture ? { graphCapture } : {}) });
      await host.handle(loadRequest(1, 'a', 'webgpu'));
    }
    expect(loads.map((options) => [options.backend, options.graphCapture])).toEqual([
      ['webgpu', true],
      ['webgpu', false],
    ]);
  });

  it("loads no f16 file when the runtime's device lacks shader-f16, whatever the adapter lists", async () => {
    const { engine, loads } = recordingLoads();
    const adapter = { features: new Set(['shader-f16']), info: { vendor: 'acme', device: 'gpu' } };
    const gpu = { requestAdapter: async () => adapter };
    for (const runtimeF16 of [false, true, undefined]) {
      const { host, replies } = hostWith(engine, { gpu, runtimeShaderF16: async () => runtimeF16 });
      await host.handle(loadRequest(1, 'a', 'auto'));
      expect(replies.at(-1)).toMatchObject({
        kind: 'result',
        payload: { backend: 'webgpu', shaderF16: runtimeF16 ?? true },
      });
    }
    expect(loads.map((options) => options.shaderF16)).toEqual([false, true, true]);
  });

  it('says no model is loaded with its own code', async () => {
    const { host, replies } = hostWith({ loadModel: async () => new RecordingModel('a') });
    await host.handle({ id: 1, kind: 'complete', payload: { prompt: 'x', settings: {} } });
    expect(replies).toEqual([
      { id: 1, kind: 'error', payload: expect.objectContaining({ code: 'model-not-loaded' }) },
    ]);
  });

  it('answers a speed probe with the figures measured, once, and no model needed', async () => {
    const speed = { rowBytesPerSecond: 1, macsPerSecond: 2, freshBytesPerSecond: 3, copyBytesPerSecond: 3 };
    const { host, replies } = hostWith(
      { loadModel: async () => new RecordingModel('a') },
      { measureCpuSpeed: async () => speed },
    );
    await host.handle({ id: 1, kind: 'measure-speed', payload: {} });
    expect(replies).toEqual([{ id: 1, kind: 'result', payload: { kind: 'speed', speed } }]);
  });

  it('runs racing loads one at a time and keeps only the latest model in memory', async () => {
    const models: RecordingModel[] = [];
    const started: string[] = [];
    let finishFirst: () => void = () => {};
    const engine: GlimpseEngine = {
      // Like the engine past its last signal check: an abort does not stop the first load.
      loadModel: async (reader, _options: LoadOptions) => {
        started.push(reader.location);
        if (reader.location === 'first') await new Promise<void>((resolve) => (finishFirst = resolve));
        const model = new RecordingModel(reader.location);
        models.push(model);
        return model;
      },
    };
    const { host, replies } = hostWith(engine);
    const first = host.handle(loadRequest(1, 'first'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = host.handle(loadRequest(2, 'second'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The second load waits for the first to settle instead of loading beside it.
    expect(started).toEqual(['first']);
    finishFirst();
    await Promise.all([first, second]);

    expect(started).toEqual(['first', 'second']);
    expect(replies.find((r) => r.id === 1)).toMatchObject({ kind: 'error', payload: { code: 'aborted' } });
    expect(replies.find((r) => r.id === 2)).toMatchObject({ kind: 'result', payload: { kind: 'loaded' } });
    expect(models.map((m) => [m.name, m.released])).toEqual([
      ['first', true],
      ['second', false],
    ]);

    // The model kept is the second one: a turn runs on it.
    await host.handle({ id: 3, kind: 'complete', payload: { prompt: 'x', settings: {} } });
    expect(models[1]?.options).toHaveLength(1);
  });

  it('releases a model whose load was still under way when the page unloaded', async () => {
    let finish: () => void = () => {};
    const model = new RecordingModel('slow');
    const { host, replies } = hostWith({
      loadModel: async () => {
        await new Promise<void>((resolve) => (finish = resolve));
        return model;
      },
    });
    const loading = host.handle(loadRequest(1, 'slow'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await host.handle({ id: 2, kind: 'unload', payload: {} });
    finish();
    await loading;
    expect(model.released).toBe(true);
    expect(replies.find((r) => r.id === 1)).toMatchObject({ kind: 'error', payload: { code: 'aborted' } });
  });
});
