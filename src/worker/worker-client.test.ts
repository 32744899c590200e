/** The page's side of the protocol against a scripted worker: what it posts, and how it routes replies. */
import { describe, expect, it } from 'vitest';
import type { GenerateEvent } from '../engine/types';
import { testModelInfo } from '../testing/engine-fixtures';
import type { Reply, Request } from './protocol';
import { WorkerClient, type WorkerLike } from './worker-client';

const info = testModelInfo();

/** A worker that records requests and answers each as `answer` says. */
class ScriptedWorker implements WorkerLike {
  readonly requests: Request[] = [];
  private readonly listeners: { message: ((event: MessageEvent<unknown>) => void)[]; error: (() => void)[] } =
    {
      message: [],
      error: [],
    };
  private readonly answer: (request: Request) => Reply[];

  constructor(answer: (request: Request) => Reply[]) {
    this.answer = answer;
  }

  postMessage(message: Request): void {
    this.requests.push(message);
    queueMicrotask(() => {
      for (const reply of this.answer(message)) this.reply(reply);
    });
  }

  addEventListener(type: 'message' | 'error', listener: (event: MessageEvent<unknown>) => void): void {
    if (type === 'message') this.listeners.message.push(listener);
    else this.listeners.error.push(() => listener(new MessageEvent('error')));
  }

  reply(reply: Reply): void {
    for (const listener of this.listeners.message) listener(new MessageEvent('message', { data: reply }));
  }

  crash(): void {
    for (const listener of this.listeners.error) listener();
  }
}

const delta: GenerateEvent = { type: 'delta', text: 'Hi', tokenIds: [5] };

function answering(request: Request): Reply[] {
  switch (request.kind) {
    case 'load':
      return [
        { id: request.id, kind: 'progress', payload: { phase: 'download', loadedBytes: 1, totalBytes: 2 } },
        {
          id: request.id,
          kind: 'result',
          payload: { kind: 'loaded', info, backend: 'wasm', shaderF16: false },
        },
      ];
    case 'send':
    case 'regenerate':
    case 'complete':
      return [
        { id: request.id, kind: 'event', payload: delta },
        { id: request.id, kind: 'result', payload: { kind: 'done' } },
      ];
    default:
      return [{ id: request.id, kind: 'result', payload: { kind: 'done' } }];
  }
}

async function collect(events: AsyncIterable<GenerateEvent>): Promise<GenerateEvent[]> {
  const all: GenerateEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('worker client', () => {
  it('loads a model, forwarding progress, and answers with what the worker reports', async () => {
    const worker = new ScriptedWorker(answering);
    const progress: number[] = [];
    const model = await new WorkerClient(worker).loadModel(
      { id: 'm', baseUrl: '/models/m/' },
      { backend: 'auto', onProgress: (p) => progress.push(p.loadedBytes) },
    );
    expect(progress).toEqual([1]);
    expect(model.info).toEqual(info);
    expect(model.backend).toBe('wasm');
  });

  it('posts every generation option the caller gives, and none it does not', async () => {
    const worker = new ScriptedWorker(answering);
    const model = await new WorkerClient(worker).loadModel({ id: 'm', baseUrl: '/' }, { backend: 'wasm' });
    const conversation = model.createConversation();
    const options = {
      temperature: 0.5,
      topP: 0.8,
      topK: 12,
      repetitionPenalty: 1.1,
      seed: 9,
      maxNewTokens: 3,
      stopStrings: ['\n'],
      draftTokens: 1,
    };
    expect(
      await collect(conversation.send({ text: 'hi' }, { ...options, signal: new AbortController().signal })),
    ).toEqual([delta]);
    await collect(conversation.regenerate());
    await collect(model.complete('Once', { seed: 4 }));

    const settings = worker.requests.flatMap((r) =>
      r.kind === 'send' || r.kind === 'regenerate' || r.kind === 'complete' ? [r.payload.settings] : [],
    );
    expect(settings).toEqual([options, {}, { seed: 4 }]);
  });

  it('sends an abort for the request a stopped signal belongs to', async () => {
    // A worker that streams until told to stop.
    const worker = new ScriptedWorker((request) =>
      request.kind === 'abort'
        ? [
            {
              id: request.payload.requestId,
              kind: 'error',
              payload: { name: 'GlimpseError', code: 'aborted', message: 'Stopped.' },
            },
          ]
        : request.kind === 'complete'
          ? [{ id: request.id, kind: 'event', payload: delta }]
          : answering(request),
    );
    const model = await new WorkerClient(worker).loadModel({ id: 'm', baseUrl: '/' }, { backend: 'wasm' });
    const stop = new AbortController();
    const seen: GenerateEvent[] = [];
    await expect(
      (async () => {
        for await (const event of model.complete('Once', { signal: stop.signal })) {
          seen.push(event);
          stop.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'aborted' });
    const complete = worker.requests.find((r) => r.kind === 'complete');
    expect(seen).toEqual([delta]);
    expect(worker.requests.find((r) => r.kind === 'abort')?.payload).toEqual({ requestId: complete?.id });
  });

  it('fails what waits on a worker that died', async () => {
    const worker = new ScriptedWorker(() => []);
    const loading = new WorkerClient(worker).loadModel({ id: 'm', baseUrl: '/' }, { backend: 'wasm' });
    worker.crash();
    await expect(loading).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/Reload/),
    });
  });
});
