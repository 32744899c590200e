/**
 * A conversation with a loaded model. It keeps the KV cache of what it has already run and the layout of
 * those positions; a new turn renders the whole conversation, reuses the longest common prefix and
 * prefills only the rest. Images are encoded once and kept by content.
 */
import { type DecoderSequence, runLast, type StepRow } from '../decoder/sequence';
import { GlimpseError, throwIfAborted } from '../errors';
import { preprocessImage } from '../image/preprocess';
import type {
  ChatMessage,
  Conversation,
  ConversationOptions,
  GenerateEvent,
  GenerateOptions,
  OverflowPolicy,
  PrepareOptions,
  RgbaImage,
  UserTurn,
} from '../types';
import { encodeImage, type ImageEmbeds } from '../vision/encoder';
import { imageKey } from '../vision/image-key';
import { decoderSteps, openSequence } from './decoder-steps';
import type { ModelRuntime } from './model-runtime';
import { prefillInput } from './prefill';
import {
  buildPrompt,
  commonPrefixLength,
  type PromptImage,
  type PromptLayout,
  templateMessages,
} from './prompt';
import { overflowError, type TurnSettings, turnSettings } from './sampling';
import { leaseStaticDecoder, type StaticLease, staticSteps } from './static-turn';
import { decodeTokens, doneEvent, type LoopState, newLoopState, type TurnFacts } from './token-loop';

const EMPTY: PromptLayout = { slots: [], rows: [] };

export class ChatConversation implements Conversation {
  private history: readonly ChatMessage[];
  private readonly cache: DecoderSequence;
  /** What the cache holds, position by position. */
  private cached: PromptLayout = EMPTY;
  /** Which cache `cached` describes: the conversation's KV cache, or the model's static decoder. */
  private cachedOnStatic = false;
  /** Who this conversation is to the static decoder, which remembers whose sequence it holds. */
  private readonly cacheOwner = {};
  private readonly images: ImageEmbeds[] = [];
  private readonly imageIndex = new Map<string, number>();
  private readonly keys = new WeakMap<RgbaImage, string>();
  private busy = false;
  /** The preparations asked for, one after another; a turn starts once they have settled. */
  private preparing: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly systemPrompt: string | undefined;
  private readonly overflow: OverflowPolicy;

  private readonly model: ModelRuntime;
  private readonly onDispose: (conversation: ChatConversation) => void;

  constructor(
    model: ModelRuntime,
    options: ConversationOptions & { readonly history?: readonly ChatMessage[] },
    onDispose: (conversation: ChatConversation) => void,
  ) {
    this.model = model;
    this.onDispose = onDispose;
    this.history = [...(options.history ?? [])];
    this.systemPrompt = options.systemPrompt;
    this.overflow = options.overflow ?? 'error';
    this.cache = openSequence(model);
  }

  get messages(): readonly ChatMessage[] {
    return this.history;
  }

  send(turn: UserTurn, options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    const message: ChatMessage = turn.images?.length
      ? { role: 'user', text: turn.text, images: turn.images }
      : { role: 'user', text: turn.text };
    return this.generate(options, (messages) => [...messages, message]);
  }

  regenerate(options: GenerateOptions = {}): AsyncIterable<GenerateEvent> {
    return this.generate(options, (messages) => {
      const last = messages.at(-1);
      const kept = last?.role === 'assistant' ? messages.slice(0, -1) : messages;
      if (kept.at(-1)?.role !== 'user')
        throw new GlimpseError('internal', 'There is no question to answer again.');
      return kept;
    });
  }

  prepare(images: readonly RgbaImage[], options: PrepareOptions = {}): Promise<void> {
    const prepared = this.preparing.then(() => this.prepareNow(images, options.signal));
    this.preparing = prepared.catch(() => {});
    return prepared;
  }

  private async prepareNow(images: readonly RgbaImage[], signal: AbortSignal | undefined): Promise<void> {
    if (this.disposed || this.busy || images.length === 0) return;
    this.busy = true;
    try {
      // The turn as it will be sent, but for its words: the template puts a turn's images before them.
      const messages: ChatMessage[] = [...this.history, { role: 'user', text: '', images }];
      if (!this.fits(this.layout(messages))) return;
      await this.encodeImages(messages, signal);
      throwIfAborted(signal);
      const layout = this.layout(messages);
      const end = layout.slots.findLastIndex((slot) => slot < 0) + 1;
      // The captured decoder (WebGPU) is shared and prefills in milliseconds: its turns start from its own
      // cache, so the images alone are read ahead there.
      if (end === 0 || !this.fits(layout) || this.model.staticDecoder) return;
      const prefix = layoutPrefix(layout, end);
      const keep = commonPrefixLength(this.cached, prefix);
      await this.cache.truncate(keep);
      this.cached = layoutPrefix(prefix, keep);
      if (keep < end)
        await this.cache.run(await prefillInput(this.model, prefix, keep, this.images), 1, { signal });
      this.cached = prefix;
    } finally {
      this.busy = false;
      if (this.disposed) this.release();
    }
  }

  /** Closing during a turn stops it at the next step; the memory is freed when the turn has unwound. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose(this);
    if (!this.busy) this.release();
  }

  private release(): void {
    this.cache.clear();
    this.cached = EMPTY;
    this.images.length = 0;
    this.imageIndex.clear();
  }

  private async *generate(
    options: GenerateOptions,
    nextMessages: (messages: readonly ChatMessage[]) => readonly ChatMessage[],
  ): AsyncGenerator<GenerateEvent> {
    await this.preparing;
    if (this.disposed) throw new GlimpseError('internal', 'This conversation was closed.');
    if (this.busy)
      throw new GlimpseError('busy', 'An answer is still being generated: stop it or wait for it.');
    this.busy = true;
    try {
      yield* this.turn(options, nextMessages(this.history));
    } finally {
      this.busy = false;
      if (this.disposed) this.release();
    }
  }

  private async *turn(
    options: GenerateOptions,
    proposed: readonly ChatMessage[],
  ): AsyncGenerator<GenerateEvent> {
    const startedAt = performance.now();
    let messages: readonly ChatMessage[] = proposed;
    let contextReset = false;
    // Measured before any image is encoded (new images counted at the package's declared size), so a turn
    // whose images cannot fit is refused before the vision encoder runs.
    if (!this.fits(this.layout(messages))) {
      if (this.overflow === 'error') throw this.overflowOf(this.layout(messages), messages);
      messages = lastTurnOnly(messages);
      contextReset = true;
      if (!this.fits(this.layout(messages))) throw this.overflowOf(this.layout(messages), messages);
    }
    const visionMs = await this.encodeImages(messages, options.signal);
    // Stopped between two images, or while another turn held the static decoder: nothing of this turn
    // reached the cache.
    const stoppedEarly = () => {
      const facts = { startedAt, promptTokens: 0, prefillTokens: 0, prefillMs: 0, graphCapture: false };
      return this.stoppedBeforeAnswer(messages, newLoopState(), { ...facts, visionMs, contextReset });
    };
    if (options.signal?.aborted) {
      yield stoppedEarly();
      return;
    }
    const layout = this.layout(messages);
    if (!this.fits(layout)) throw this.overflowOf(layout, messages);
    const settings = turnSettings(this.model, options, layout.slots.length);
    let lease: StaticLease | undefined;
    try {
      lease = await leaseStaticDecoder(this.model, this.cacheOwner, options.signal);
    } catch (err) {
      if (!options.signal?.aborted) throw err;
      yield stoppedEarly();
      return;
    }
    try {
      yield* this.decode(lease, options, messages, layout, settings, {
        startedAt,
        promptTokens: layout.slots.length,
        visionMs,
        contextReset,
      });
    } finally {
      lease?.release();
    }
  }

  /** Prefills what the cache lacks of `layout` and decodes the answer, on the static decoder when leased. */
  private async *decode(
    lease: StaticLease | undefined,
    options: GenerateOptions,
    messages: readonly ChatMessage[],
    layout: PromptLayout,
    settings: TurnSettings,
    turn: Pick<TurnFacts, 'startedAt' | 'promptTokens' | 'visionMs' | 'contextReset'>,
  ): AsyncGenerator<GenerateEvent> {
    const decoder = lease?.decoder;
    // What the store this turn runs on holds: the conversation's KV cache, or the static decoder's cache
    // while no other turn has run on it since this conversation's last.
    const onStatic = this.cachedOnStatic && lease?.ownCache === true;
    const held = (decoder ? onStatic : !this.cachedOnStatic) ? this.cached : EMPTY;
    // At least one position is run, to get the logits after the prompt.
    const keep = Math.min(
      commonPrefixLength(held, layout),
      layout.slots.length - 1,
      decoder?.length ?? Number.POSITIVE_INFINITY,
    );
    if (decoder) {
      decoder.rewind(keep);
      await this.cache.truncate(0);
    } else await this.cache.truncate(keep);
    this.cachedOnStatic = decoder !== undefined;
    this.cached = layoutPrefix(layout, keep);
    const state = newLoopState();
    const onDevice = decoder !== undefined && settings.sampler.argmaxOnly;
    const facts = (prefillMs: number): TurnFacts => ({
      ...turn,
      prefillTokens: layout.slots.length - keep,
      prefillMs,
      graphCapture: state.times.replays > 0,
    });
    if (options.signal?.aborted) {
      yield this.stoppedBeforeAnswer(messages, state, facts(0));
      return;
    }

    const prefillStart = performance.now();
    const input = await prefillInput(this.model, layout, keep, this.images);
    let firstLogits: StepRow;
    try {
      if (decoder) {
        if (input.kind !== 'embeds') throw new Error('unreachable: the static decoder takes embeddings');
        firstLogits = await decoder.prefill(input.data);
      } else firstLogits = await runLast(this.cache, input, { signal: options.signal });
    } catch (err) {
      // Stopped between two chunks of a long prefill: the cache keeps them, `cached` only the common prefix.
      if (!options.signal?.aborted || GlimpseError.from(err).code !== 'aborted') throw err;
      yield this.stoppedBeforeAnswer(messages, state, facts(performance.now() - prefillStart));
      return;
    }
    this.cached = layout;
    const prefillMs = performance.now() - prefillStart;

    const checkOpen = () => {
      if (this.disposed) throw new GlimpseError('aborted', 'The conversation was closed.');
    };
    this.history = [...messages, { role: 'assistant', text: '' }];
    try {
      yield* decodeTokens(
        firstLogits,
        {
          ...settings,
          detokenizer: this.model.codec.createDetokenizer(),
          signal: options.signal,
          context: layout.slots.filter((slot) => slot >= 0),
          ...(decoder
            ? staticSteps(
                decoder,
                this.model.stepPlanner,
                onDevice,
                settings.draftTokens,
                state.times,
                checkOpen,
              )
            : decoderSteps(this.model, this.cache, checkOpen, state.times, settings.sampler.argmaxOnly)),
        },
        state,
      );
    } finally {
      // Whatever stopped the loop (end, abort, an error, a consumer that quit), keep what was generated.
      this.history = [...messages, { role: 'assistant', text: state.text }];
      this.cached = {
        slots: [...layout.slots, ...state.fed],
        rows: [...layout.rows, ...state.fed.map(() => -1)],
      };
    }
    yield doneEvent(state, facts(prefillMs));
  }

  /** A turn stopped before its first token: the question stays, with an empty answer. */
  private stoppedBeforeAnswer(
    messages: readonly ChatMessage[],
    state: LoopState,
    facts: TurnFacts,
  ): GenerateEvent {
    this.history = [...messages, { role: 'assistant', text: '' }];
    return doneEvent(state, facts);
  }

  private fits(layout: PromptLayout): boolean {
    return layout.slots.length < this.model.contextLength;
  }

  private overflowOf(layout: PromptLayout, messages: readonly ChatMessage[]): GlimpseError {
    const images = messages.flatMap((message) => message.images ?? []).length;
    const imagePositions = layout.slots.filter((slot) => slot < 0).length;
    return overflowError(layout.slots.length, this.model.contextLength, { images, imagePositions });
  }

  /**
   * Encodes each image of the messages not yet seen, once per conversation; returns the milliseconds spent.
   * Once `signal` aborts, the images left are not encoded: the turn or reading that asked has stopped.
   */
  private async encodeImages(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<number> {
    let spent = 0;
    for (const image of messages.flatMap((message) => message.images ?? [])) {
      if (signal?.aborted) break;
      const start = performance.now();
      const key = this.keyOf(image);
      if (this.imageIndex.has(key)) continue;
      const vision = this.model.vision;
      if (!vision || this.model.imageTokenId === undefined) {
        throw new GlimpseError('model-text-only', 'This model reads text only; it cannot take an image.');
      }
      const pixels = preprocessImage(image, vision.preprocess);
      const embeds = await encodeImage(this.model.ort, vision.spec, pixels, vision.declaredRows);
      spent += performance.now() - start;
      this.imageIndex.set(key, this.images.length);
      this.images.push(embeds);
    }
    return spent;
  }

  /**
   * The prompt's positions; an image not encoded yet counts at the package's declared size, under the
   * index its encoding will take.
   */
  private layout(messages: readonly ChatMessage[]): PromptLayout {
    const images: PromptImage[] = [];
    const pending = new Map<string, number>();
    for (const image of messages.flatMap((message) => message.images ?? [])) {
      const key = this.keyOf(image);
      let index = this.imageIndex.get(key) ?? pending.get(key);
      if (index === undefined) {
        index = this.images.length + pending.size;
        pending.set(key, index);
      }
      const rows = this.images[index]?.rows ?? this.model.vision?.declaredRows ?? 0;
      images.push({ index, rows });
    }
    return buildPrompt(
      this.model.codec,
      this.model.imageTokenId,
      templateMessages(messages, this.systemPrompt),
      images,
    );
  }

  private keyOf(image: RgbaImage): string {
    let key = this.keys.get(image);
    if (key === undefined) {
      key = imageKey(image);
      this.keys.set(image, key);
    }
    return key;
  }
}

/** The first `length` positions of a prompt. */
function layoutPrefix(layout: PromptLayout, length: number): PromptLayout {
  return { slots: layout.slots.slice(0, length), rows: layout.rows.slice(0, length) };
}

/** The last user turn alone, carrying the images the conversation was last about. */
function lastTurnOnly(messages: readonly ChatMessage[]): ChatMessage[] {
  const last = messages.at(-1);
  if (!last) return [];
  const images = last.images ?? messages.findLast((message) => message.images?.length)?.images;
  return [images?.length ? { role: 'user', text: last.text, images } : { role: 'user', text: last.text }];
}
