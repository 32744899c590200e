/**
 * The engine's public surface. The in-thread engine (Node, tests, CLI) and the worker proxy used by the
 * app both implement `GlimpseEngine`, so callers never know where inference runs.
 */
import type { GlimpseErrorObject } from './errors';
import type { Backend } from './runtime/ort';

/** Pixels decoded by the host: RGBA, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** Reads one file of a model package (a folder, a URL prefix, a storage cache). */
export interface PackageReader {
  /** Where the package lives, for messages ("models/tiny-llava", "https://…/resolve/main"). */
  readonly location: string;
  /**
   * The file's bytes, or null when the package has no such file (a 404, an absent path). Other failures
   * throw a GlimpseError ('download-failed', 'quota-exceeded', 'aborted').
   */
  read(path: string, options?: ReadOptions): Promise<Uint8Array | null>;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Bytes of this file received so far, and its size when known. */
  readonly onProgress?: (loaded: number, total: number | undefined) => void;
}

/** Which file variant to load per part: '' fp32, 'fp16', 'q4', 'q4f16', 'quantized', … */
export type Dtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'quantized' | 'int8' | 'uint8' | 'bnb4';
export type ModelPart = 'vision_encoder' | 'projector' | 'embed_tokens' | 'decoder_model_merged';

export interface LoadOptions {
  readonly backend: Backend;
  /** Per part; a part left out gets the engine's choice for the backend. */
  readonly dtype?: Partial<Record<ModelPart, Dtype>>;
  /** Whether the WebGPU adapter runs f16 shaders, as the caller probed; probed by the loader when absent. */
  readonly shaderF16?: boolean;
  /**
   * The runtime's WebGPU provider honours enableGraphCapture (onnxruntime-web; onnxruntime-node 1.30 does
   * not): text completion and chat turns then decode through the package's decoder_model_static, when it
   * has one.
   */
  readonly graphCapture?: boolean;
  /**
   * Draft tokens per decoder run unless a call says otherwise (GenerateOptions.draftTokens); the backend's
   * default when absent. The graph-captured step is built for this many: a call may ask for fewer, not more.
   */
  readonly draftTokens?: number;
  /**
   * The graph-captured decoder replays its graph at every step that fits, where by default each step takes
   * whichever of the replay and an uncaptured run of its token alone has measured cheaper on this adapter
   * (decoder/step-planner.ts): for tests and benchmarks of the captured path itself.
   */
  readonly replayEveryStep?: boolean;
  /**
   * On the CPU backends (cpu, wasm), decode through the package's decoder_model_static in the decoder's
   * dtype with the KV cache kept in place (the default); false keeps the merged decoder.
   */
  readonly staticCache?: boolean;
  /**
   * On the CPU backends, run the merged decoder (where it runs) rewired to hand back only each run's new
   * KV rows, the cache kept in place (the default); false has it hand back the whole cache on every run,
   * as it is, the benchmark's baseline.
   */
  readonly rowCache?: boolean;
  /**
   * On WebGPU, pack each decoder layer's q, k and v projections into one at load, where the graph allows
   * (the default; decoder/packed-qkv-graph.ts); false keeps them as the package has them, the benchmark's
   * baseline.
   */
  readonly packedQkv?: boolean;
  /**
   * The attention of a CPU backend's static decoder: 'group-query', onnxruntime's, or 'two-part'
   * (GroupQueryAttention is kept for what it does not cover); the default is DEFAULT_CPU_ATTENTION.
   */
  readonly cpuAttention?: CpuAttentionKind;
  /**
   * onnxruntime-node's intra-op threads on the cpu backend. Left out, onnxruntime picks, counting physical
   * cores: on a 2-vCPU VM it chose one, and 2 threads prefilled and decoded 1.5× faster there (bench/README.md).
   */
  readonly cpuThreads?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoadProgress) => void;
}

export type LoadPhase = 'config' | 'download' | 'compile' | 'warmup' | 'ready';

export interface LoadProgress {
  readonly phase: LoadPhase;
  /** The file being fetched or compiled, when there is one. */
  readonly file?: string;
  /** Bytes over all files of the load, so the UI can show one overall figure. */
  readonly loadedBytes: number;
  readonly totalBytes: number | undefined;
}

/**
 * How a CPU backend's static decoder attends: onnxruntime's GroupQueryAttention, or the two-part attention
 * (decoder/two-part-attention.ts).
 */
export const CPU_ATTENTION_KINDS = ['group-query', 'two-part'] as const;
export type CpuAttentionKind = (typeof CPU_ATTENTION_KINDS)[number];

/**
 * Both CPU backends attend in two parts by default. On wasm GroupQueryAttention clears and refills a
 * present as long as the cache on every run: the two-part attention decoded 1.8× and prefilled 2.9× as
 * fast in Chromium. On cpu its step took 0.73× GroupQueryAttention's, in turn in one process. Answers
 * on the 523 held-out shapes questions: fp32 word for word the same on both backends; q4 the same on
 * wasm and on 518 of 523 on cpu, where MatMulNBits quantises activations and the other rounding turns
 * a token, with the same agreement with fp32 either way (446 of 523). bench/README.md, issue 15.
 */
export const DEFAULT_CPU_ATTENTION: CpuAttentionKind = 'two-part';

export interface ModelInfo {
  readonly location: string;
  readonly modelType: string;
  readonly backend: Backend;
  /** The files loaded per part, e.g. { decoder_model_merged: 'onnx/decoder_model_merged_q4.onnx' }. */
  readonly files: Partial<Record<ModelPart, string>>;
  /**
   * The static-cache decode variant loaded beside the decoder, if any: graph-captured on WebGPU
   * (LoadOptions.graphCapture), the KV cache kept in place on cpu and wasm (LoadOptions.staticCache).
   */
  readonly staticDecoder?: string;
  /**
   * The attention a CPU backend's static decoder runs: its own two-part attention, or onnxruntime's
   * GroupQueryAttention with the reason it was kept (cpu-static-graph.ts).
   */
  readonly cpuAttention?: { readonly kind: CpuAttentionKind; readonly fallback?: string };
  /** The merged decoder runs on a CPU backend with its KV cache kept in place (LoadOptions.rowCache). */
  readonly rowCache?: boolean;
  /** Layers of the WebGPU decoder that decodes whose q, k and v projections run as one (LoadOptions.packedQkv). */
  readonly packedQkvLayers?: number;
  readonly hasVision: boolean;
  readonly imageTokenCount: number | undefined;
  readonly contextLength: number;
  /** What a turn uses for each generation option the call leaves out. */
  readonly defaults: GenerationDefaults;
}

export interface SamplingOptions {
  /** 0 (or ≤ 0.001) means greedy. */
  readonly temperature: number;
  readonly topP: number;
  /** 0 means no top-k cut. */
  readonly topK: number;
  /** 1 means none. */
  readonly repetitionPenalty: number;
  readonly seed?: number;
}

export interface GenerateOptions extends Partial<SamplingOptions> {
  readonly maxNewTokens?: number;
  /** Extra strings that end the answer (the EOS ids always do). */
  readonly stopStrings?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * The most draft tokens, copied from earlier in the conversation (prompt lookup), that each decoder run
   * checks besides the next token. The answer is the one a step per token gives (up to float rounding
   * between runs over one position and over several); 0 turns drafting off. Default: 4 on WebGPU, and on
   * the CPU backends where the cache stays in place (a wrong draft is then a length change); 0 on a merged
   * decoder that hands its whole cache back, where each wrong draft costs a copy of it.
   */
  readonly draftTokens?: number;
}

export interface PrepareOptions {
  /**
   * Stops the reading before its next image or prefill chunk (the images were removed, or the turn they
   * belong to was stopped); the promise then rejects with an 'aborted' GlimpseError.
   */
  readonly signal?: AbortSignal;
}

/** A call's generation options as data, e.g. to cross a worker boundary or to persist. */
export type GenerationSettings = Omit<GenerateOptions, 'signal'>;

/** The package's generation_config.json where it sets a value, the engine's choice elsewhere. */
export interface GenerationDefaults extends SamplingOptions {
  readonly maxNewTokens: number;
  /** Draft tokens per decoder run on the loaded backend. */
  readonly draftTokens: number;
}

/** One user turn: text, and the images (none, one or several) that the turn is about, in order. */
export interface UserTurn {
  readonly text: string;
  readonly images?: readonly RgbaImage[];
}

/** Mean milliseconds per decode step after the first token, by where they went. */
export interface DecodeStepStats {
  readonly steps: number;
  /**
   * Of the steps, those that replayed the captured graph; the static decoder's others ran uncaptured,
   * measured cheaper on this adapter (decoder/step-planner.ts).
   */
  readonly replays: number;
  /**
   * Embedding the step's token ids (a session run of its own where the package has one); on the
   * graph-captured path it is part of runMs, the step embedding its tokens itself.
   */
  readonly embedMs: number;
  /** The decoder session's run. */
  readonly runMs: number;
  /** Copying the logits out. */
  readonly readMs: number;
  readonly sampleMs: number;
  /** Everything else: detokenizing, stop strings, draft look-ups, cache rewinds, the caller. */
  readonly otherMs: number;
}

export interface TurnStats {
  readonly promptTokens: number;
  /** Tokens actually prefilled this turn (the rest came from the KV cache). */
  readonly prefillTokens: number;
  readonly generatedTokens: number;
  readonly visionMs: number;
  readonly prefillMs: number;
  readonly timeToFirstTokenMs: number;
  readonly decodeTokensPerSecond: number;
  readonly totalMs: number;
  /** Where the decode steps' time went (absent when the answer took one token). */
  readonly decodeSteps?: DecodeStepStats;
  /**
   * Draft tokens fed to the decoder this turn, how many of them became part of the answer, and the decoder
   * runs that carried any.
   */
  readonly drafts?: { readonly fed: number; readonly accepted: number; readonly runs: number };
  /**
   * The conversation no longer fit in the context and, under the 'keep-last-turn' policy, this turn started
   * over from the last user turn (with the images it is about). The UI should say so.
   */
  readonly contextReset?: boolean;
  /** Whether the decode steps replayed a captured graph (the static decoder's steps, greedy or sampled). */
  readonly graphCapture?: boolean;
}

export type FinishReason = 'eos' | 'stop-string' | 'length' | 'aborted';

export type GenerateEvent =
  | { readonly type: 'delta'; readonly text: string; readonly tokenIds: readonly number[] }
  | {
      readonly type: 'done';
      readonly text: string;
      readonly tokenIds: readonly number[];
      readonly reason: FinishReason;
      readonly stats: TurnStats;
    };

/** What to do when a turn would not fit in the context. */
export type OverflowPolicy = 'error' | 'keep-last-turn';

export interface ConversationOptions {
  readonly systemPrompt?: string;
  readonly overflow?: OverflowPolicy;
}

export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  /** The images a user turn is about, in order; later turns about the same images carry none. */
  readonly images?: readonly RgbaImage[];
}

/**
 * One conversation with a loaded model. It keeps its KV cache between turns, so a new turn prefills only
 * its own tokens. A stopped turn (signal aborted) ends with a 'done' event whose reason is 'aborted'; the
 * partial answer stays in `messages` and the next turn works.
 */
export interface Conversation {
  readonly messages: readonly ChatMessage[];
  send(turn: UserTurn, options?: GenerateOptions): AsyncIterable<GenerateEvent>;
  /** Drops the last answer and generates it again. */
  regenerate(options?: GenerateOptions): AsyncIterable<GenerateEvent>;
  /**
   * Reads the images of the turn still being written, and prefills the prompt up to the last of them,
   * while the user types: the send that follows finds them in the KV cache and prefills only its words.
   * On a CPU backend that is most of a photo question's time to the first token. A send waits for a
   * preparation under way; one asked while a turn runs, or that cannot fit the context, does nothing.
   */
  prepare(images: readonly RgbaImage[], options?: PrepareOptions): Promise<void>;
  /** Frees the KV cache and cached image embeddings. */
  dispose(): void;
}

export interface LoadedModel {
  readonly info: ModelInfo;
  /** `history` restores a saved conversation; its tokens are prefilled on the first send. */
  createConversation(
    options?: ConversationOptions & { readonly history?: readonly ChatMessage[] },
  ): Conversation;
  /** Plain text completion: BOS + prompt, no chat template (for text-only packages). */
  complete(prompt: string, options?: GenerateOptions): AsyncIterable<GenerateEvent>;
  dispose(): Promise<void>;
}

/**
 * Loads model packages. The in-thread engine (`createEngine`: Node, the CLI, inside the worker) reads a
 * PackageReader; the app's WorkerClient sends a ModelSource to the worker. Either way the caller gets a
 * LoadedModel and never knows where inference runs.
 */
export interface GlimpseEngine<
  Source = PackageReader,
  Options extends Pick<LoadOptions, 'signal' | 'onProgress'> = LoadOptions,
  Model extends LoadedModel = LoadedModel,
> {
  loadModel(source: Source, options: Options): Promise<Model>;
}

export type { Backend, GlimpseErrorObject };
