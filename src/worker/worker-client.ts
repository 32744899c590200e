/**
 * The page's side of the protocol, shaped like the engine: `loadModel` resolves to a LoadedModel whose
 * conversations stream GenerateEvents, so the state layer never knows that inference runs in a worker.
 * Each request gets an id; replies are routed back to it. Aborting a signal sends an 'abort' message.
 */
import { GlimpseError } from '../engine/errors';
import type { CpuSpeed } from '../engine/runtime/decode-cost';
import type {
  Backend,
  ChatMessage,
  Conversation,
  ConversationOptions,
  GenerateEvent,
  GenerateOptions,
  GenerationSettings,
  GlimpseEngine,
  LoadedModel,
  LoadProgress,
  ModelInfo,
  PrepareOptions,
  RgbaImage,
  UserTurn,
} from '../engine/types';
import { EventQueue } from './event-queue';
import {
  type BackendPreference,
  isReply,
  type ModelSource,
  type Reply,
  type Request,
  type ResultPayload,
  transferablesOf,
  unreachable,
} from './protocol';

/** The slice of a Worker (or a MessagePort) the client uses. */
export interface WorkerLike {
  postMessage(message: Request, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  addEventListener(type: 'error', listener: (event: Event) => void): void;
}

export interface RemoteLoadOptions {
  readonly backend: BackendPreference;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoadProgress) => void;
}

export interface RemoteModel extends LoadedModel {
  /** The backend that really runs, after the worker's probe. */
  readonly backend: Backend;
  readonly shaderF16: boolean;
}

interface Pending {
  readonly onResult: (payload: ResultPayload) => void;
  readonly onError: (error: GlimpseError) => void;
  readonly onProgress?: (progress: LoadProgress) => void;
  readonly onEvent?: (event: GenerateEvent) => void;
}

export class WorkerClient implements GlimpseEngine<ModelSource, RemoteLoadOptions, RemoteModel> {
  private readonly worker: WorkerLike;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(worker: WorkerLike) {
    this.worker = worker;
    worker.addEventListener('message', (event) => {
      if (isReply(event.data)) this.route(event.data);
    });
    // A worker that died (out of memory, a crash in the runtime) answers nothing: fail what waits on it.
    worker.addEventListener('error', () => {
      const error = new GlimpseError(
        'internal',
        'The inference worker stopped unexpectedly. Reload the page to start it again.',
      );
      for (const pending of [...this.pending.values()]) pending.onError(error);
    });
  }

  async loadModel(source: ModelSource, options: RemoteLoadOptions): Promise<RemoteModel> {
    const result = await this.call(
      { kind: 'load', payload: { source, backend: options.backend } },
      { signal: options.signal, onProgress: options.onProgress },
    );
    if (result.kind !== 'loaded')
      throw new GlimpseError('internal', 'The worker answered a load without a model.');
    return new RemoteLoadedModel(this, result.info, result.backend, result.shaderF16);
  }

  /** The WebAssembly backend's speeds on this device, measured in the worker. */
  async measureCpuSpeed(): Promise<CpuSpeed> {
    const result = await this.call({ kind: 'measure-speed', payload: {} });
    if (result.kind !== 'speed')
      throw new GlimpseError('internal', 'The worker answered a speed probe without figures.');
    return result.speed;
  }

  /** Sends one request; resolves with its result, rejects with its GlimpseError. */
  call(
    request: DistributiveOmit<Request, 'id'>,
    hooks: {
      readonly signal?: AbortSignal | undefined;
      readonly onProgress?: ((progress: LoadProgress) => void) | undefined;
      readonly onEvent?: (event: GenerateEvent) => void;
    } = {},
  ): Promise<ResultPayload> {
    const id = this.nextId++;
    const full = { ...request, id } satisfies Request;
    const { signal } = hooks;
    if (signal?.aborted) return Promise.reject(new GlimpseError('aborted', 'Stopped.'));
    return new Promise<ResultPayload>((resolve, reject) => {
      const onAbort = () => this.post({ kind: 'abort', payload: { requestId: id } });
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        onResult: (payload) => {
          settle();
          resolve(payload);
        },
        onError: (error) => {
          settle();
          reject(error);
        },
        onProgress: hooks.onProgress,
        onEvent: hooks.onEvent,
      });
      this.worker.postMessage(full, transferablesOf(full));
    });
  }

  /** Streams the events of a 'send' or 'regenerate' request; the stream ends when the worker's result comes. */
  stream(
    request: DistributiveOmit<Request, 'id'>,
    signal: AbortSignal | undefined,
  ): AsyncIterable<GenerateEvent> {
    // Leaving the loop early stops the generation in the worker, like an abort.
    const local = new AbortController();
    const forward = () => local.abort();
    signal?.addEventListener('abort', forward, { once: true });
    if (signal?.aborted) local.abort();
    const queue = new EventQueue<GenerateEvent>(() => local.abort());
    this.call(request, { signal: local.signal, onEvent: (event) => queue.push(event) }).then(
      () => queue.end(),
      (err: unknown) => queue.fail(err),
    );
    return {
      [Symbol.asyncIterator]: () => {
        const inner = queue[Symbol.asyncIterator]();
        return {
          next: () => inner.next(),
          return: () => {
            signal?.removeEventListener('abort', forward);
            return inner.return ? inner.return() : Promise.resolve({ value: undefined, done: true });
          },
        };
      },
    };
  }

  private post(request: DistributiveOmit<Request, 'id'>): void {
    const full = { ...request, id: this.nextId++ } satisfies Request;
    this.worker.postMessage(full, transferablesOf(full));
  }

  private route(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    switch (reply.kind) {
      case 'result':
        pending.onResult(reply.payload);
        break;
      case 'error':
        pending.onError(GlimpseError.fromObject(reply.payload));
        break;
      case 'progress':
        pending.onProgress?.(reply.payload);
        break;
      case 'event':
        pending.onEvent?.(reply.payload);
        break;
      default:
        unreachable(reply);
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let nextConversation = 1;

class RemoteLoadedModel implements RemoteModel {
  readonly info: ModelInfo;
  readonly backend: Backend;
  readonly shaderF16: boolean;
  private readonly client: WorkerClient;

  constructor(client: WorkerClient, info: ModelInfo, backend: Backend, shaderF16: boolean) {
    this.client = client;
    this.info = info;
    this.backend = backend;
    this.shaderF16 = shaderF16;
  }

  createConversation(
    options: ConversationOptions & { readonly history?: readonly ChatMessage[] } = {},
  ): Conversation {
    return new RemoteConversation(this.client, `c${nextConversation++}`, options);
  }

  complete(prompt: string, options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    return this.client.stream(
      { kind: 'complete', payload: { prompt, settings: settingsOf(options) } },
      options.signal,
    );
  }

  async dispose(): Promise<void> {
    await this.client.call({ kind: 'unload', payload: {} });
  }
}

/**
 * Mirrors the engine's conversation: `messages` follows what was sent and answered, so the caller can read
 * it as it would in-thread. The open request is awaited by the first send, so its error surfaces there.
 */
class RemoteConversation implements Conversation {
  private readonly client: WorkerClient;
  private readonly id: string;
  private readonly opened: Promise<ResultPayload>;
  private readonly history: ChatMessage[];

  constructor(
    client: WorkerClient,
    id: string,
    options: ConversationOptions & { readonly history?: readonly ChatMessage[] },
  ) {
    this.client = client;
    this.id = id;
    const history = options.history ?? [];
    // The images' pixels move to the worker; the mirror keeps the text.
    this.history = history.map(({ role, text }) => ({ role, text }));
    this.opened = client.call({
      kind: 'open-conversation',
      payload: {
        conversationId: id,
        systemPrompt: options.systemPrompt ?? '',
        history,
        ...(options.overflow ? { overflow: options.overflow } : {}),
      },
    });
    // Observed by the first send; without this an early failure would be reported as unhandled.
    this.opened.catch(() => {});
  }

  get messages(): readonly ChatMessage[] {
    return this.history;
  }

  send(turn: UserTurn, options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    this.history.push({ role: 'user', text: turn.text });
    return this.generate(
      { kind: 'send', payload: { conversationId: this.id, turn, settings: settingsOf(options) } },
      options,
    );
  }

  regenerate(options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    if (this.history.at(-1)?.role === 'assistant') this.history.pop();
    return this.generate(
      { kind: 'regenerate', payload: { conversationId: this.id, settings: settingsOf(options) } },
      options,
    );
  }

  async prepare(images: readonly RgbaImage[], options: PrepareOptions = {}): Promise<void> {
    await this.opened;
    await this.client.call(
      { kind: 'prepare', payload: { conversationId: this.id, images } },
      { signal: options.signal },
    );
  }

  dispose(): void {
    this.client.call({ kind: 'close-conversation', payload: { conversationId: this.id } }).catch(() => {});
  }

  private async *generate(
    request: DistributiveOmit<Request, 'id'>,
    options: GenerateOptions,
  ): AsyncGenerator<GenerateEvent> {
    await this.opened;
    for await (const event of this.client.stream(request, options.signal)) {
      if (event.type === 'done') this.history.push({ role: 'assistant', text: event.text });
      yield event;
    }
  }
}

/** Every option but the signal crosses as it is; what the caller left out takes the model's default. */
function settingsOf({ signal: _signal, ...settings }: GenerateOptions): GenerationSettings {
  return settings;
}
