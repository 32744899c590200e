/**
 * Measures transformers.js as its users run it: AutoProcessor, LlavaForConditionalGeneration, its own
 * generate() with its KV cache, and a streamer for token times. Vision and prefill times come from
 * timing its inference sessions' run() calls (the first decoder run of a turn is the prefill). A chat
 * turn is a new generate() over the whole conversation, as its chat examples do: transformers.js keeps
 * no KV cache across generate() calls.
 */
import type * as Transformers from '@huggingface/transformers';
import type { Dtype, ModelPart } from '../engine/index';
import type { Measured, Sampler } from './measure-glimpse';
import { type BenchImage, type BenchPlan, question } from './plan';
import type { RunMeasure } from './report';
import { decodeRate, perSecond } from './stats';

export type TransformersModule = typeof Transformers;
export type TransformersDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8' | 'int8';

/** Glimpse's dtype of each part as transformers.js names it (its q8 is the `_quantized` files). */
export function transformersDtypes(
  dtypes: Partial<Record<ModelPart, Dtype>>,
): Record<string, TransformersDtype> {
  const out: Record<string, TransformersDtype> = {};
  for (const [part, dtype] of Object.entries(dtypes)) {
    if (dtype === 'fp32' || dtype === 'fp16' || dtype === 'q4' || dtype === 'q4f16' || dtype === 'int8')
      out[part] = dtype;
    else if (dtype === 'quantized') out[part] = 'q8';
    else throw new Error(`transformers.js has no dtype '${dtype}' for ${part}.`);
  }
  return out;
}

const DTYPE_SUFFIX: Readonly<Record<TransformersDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  q8: '_quantized',
  int8: '_int8',
};

export interface TransformersTarget {
  /** The model id under env.localModelPath (the host sets env before calling). */
  readonly modelId: string;
  readonly dtype: Readonly<Record<string, TransformersDtype>>;
  /** Left out when the host injected its own ONNX Runtime (transformers.js then picks no device). */
  readonly device?: 'cpu' | 'webgpu' | 'wasm' | 'auto';
  /** onnxruntime-node's intra-op threads (session_options), as Glimpse is given them. */
  readonly intraOpThreads?: number;
}

interface SessionLike {
  run(...args: unknown[]): Promise<unknown>;
}

function isSessionLike(value: unknown): value is SessionLike {
  return typeof value === 'object' && value !== null && 'run' in value && typeof value.run === 'function';
}

/** Records the duration of every run() of each session, by session name. */
class SessionTimer {
  readonly log: { session: string; ms: number }[] = [];

  constructor(sessions: Record<string, unknown>) {
    for (const [name, session] of Object.entries(sessions)) {
      if (!isSessionLike(session)) continue;
      const run = session.run.bind(session);
      session.run = async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await run(...args);
        } finally {
          this.log.push({ session: name, ms: performance.now() - start });
        }
      };
    }
  }

  take(): { session: string; ms: number }[] {
    return this.log.splice(0);
  }
}

export async function measureTransformers(
  tf: TransformersModule,
  target: TransformersTarget,
  image: BenchImage,
  plan: BenchPlan,
  sample: Sampler,
): Promise<Measured> {
  const loadStart = performance.now();
  const processor = await tf.AutoProcessor.from_pretrained(target.modelId);
  const model = await tf.LlavaForConditionalGeneration.from_pretrained(target.modelId, {
    dtype: { ...target.dtype },
    ...(target.device === undefined ? {} : { device: target.device }),
    ...(target.intraOpThreads === undefined
      ? {}
      : { session_options: { intraOpNumThreads: target.intraOpThreads } }),
  });
  const loadMs = performance.now() - loadStart;
  sample();
  const timer = new SessionTimer(model.sessions);
  const raw = new tf.RawImage(new Uint8ClampedArray(image.rgb), image.width, image.height, 3);

  class TokenClock extends tf.BaseStreamer {
    puts = 0;
    readonly times: number[] = [];
    override put(): void {
      // The first put() is the prompt; each later one is a new token.
      if (this.puts++ > 0) this.times.push(performance.now());
      sample();
    }
    override end(): void {}
  }

  type Message = { role: 'user' | 'assistant'; content: { type: 'image' | 'text'; text?: string }[] };
  const turn = async (
    messages: Message[],
    maxNewTokens: number,
  ): Promise<{ measure: RunMeasure; answer: string }> => {
    const start = performance.now();
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(raw, text);
    const clock = new TokenClock();
    timer.take();
    const output = await model.generate({
      ...inputs,
      max_new_tokens: maxNewTokens,
      do_sample: false,
      streamer: clock,
    });
    const runs = timer.take();
    const promptTokens = inputs.input_ids.dims[1] ?? 0;
    const visionMs = runs.filter((r) => r.session === 'vision_encoder').reduce((sum, r) => sum + r.ms, 0);
    // The first embed and decoder runs of a turn are its prefill; the engine's prefill covers both too.
    const embedMs = runs.find((r) => r.session === 'embed_tokens')?.ms ?? 0;
    const decoderMs = runs.find((r) => r.session === 'decoder_model_merged')?.ms;
    const prefillMs = decoderMs === undefined ? undefined : embedMs + decoderMs;
    const first = clock.times[0];
    if (!(output instanceof tf.Tensor)) throw new Error('generate() returned no token tensor.');
    const ids = Array.from(output.data, Number).slice(promptTokens);
    return {
      measure: {
        promptTokens,
        generatedTokens: ids.length,
        visionMs: visionMs > 0 ? visionMs : undefined,
        prefillMs,
        prefillTokensPerSecond: prefillMs === undefined ? undefined : perSecond(promptTokens, prefillMs),
        timeToFirstTokenMs: first === undefined ? undefined : first - start,
        decodeTokensPerSecond: decodeRate(clock.times),
      },
      answer: processor.batch_decode([ids], { skip_special_tokens: true })[0] ?? '',
    };
  };

  try {
    const userTurn = (index: number): Message => ({
      role: 'user',
      content: [
        ...(index === 0 ? [{ type: 'image' as const }] : []),
        { type: 'text', text: question(index) },
      ],
    });
    const runs: RunMeasure[] = [];
    for (let i = 0; i < plan.runs; i++) runs.push((await turn([userTurn(0)], plan.maxNewTokens)).measure);
    const messages: Message[] = [];
    const turnTimeToFirstTokenMs: (number | undefined)[] = [];
    for (let index = 0; index < plan.turns; index++) {
      messages.push(userTurn(index));
      const { measure, answer } = await turn(messages, plan.maxNewTokensPerTurn);
      turnTimeToFirstTokenMs.push(measure.timeToFirstTokenMs);
      messages.push({ role: 'assistant', content: [{ type: 'text', text: answer }] });
    }
    const files = Object.fromEntries(
      Object.entries(target.dtype).map(([part, dtype]) => [part, `onnx/${part}${DTYPE_SUFFIX[dtype]}.onnx`]),
    );
    return { files, loadMs, warmupMs: undefined, runs, turnTimeToFirstTokenMs };
  } finally {
    await model.dispose();
  }
}
