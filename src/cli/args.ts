/** The command line of `glimpse`, parsed with node:util parseArgs into one typed command. */
import {
  type Backend,
  CPU_ATTENTION_KINDS,
  type CpuAttentionKind,
  type Dtype,
  type GenerateOptions,
  type ModelPart,
} from '../engine/index';
import { DTYPES, MODEL_PARTS } from '../engine/model/files';
import { COUNT, numberOption, oneOf, parseOptions, UsageError } from './options';

export const USAGE = `Usage:
  glimpse ask --model MODEL --image FILE "question"  answer a question about an image (or several)
  glimpse generate --model MODEL "prompt"            continue a text (text-only packages too)
  glimpse eval --model DIR --data FILE.jsonl         accuracy on a question set, per dtype (see eval --help)
  glimpse convert --from DIR --to DIR                a Hugging Face checkpoint to a package (see convert --help)
  glimpse bench [options]                            Glimpse against transformers.js (see bench --help)

Options:
  --model MODEL          a model package folder, or a Hugging Face repository ORG/NAME[@REVISION],
                         downloaded (resumable, checked against the Hub's sha256 values) into
                         $XDG_CACHE_HOME/glimpse (else ~/.cache/glimpse); an existing folder wins
  --hub-endpoint URL     the Hub or a mirror (default: $HF_ENDPOINT, else https://huggingface.co)
  --image FILE           JPEG, PNG or WebP (ask); repeat it for several images in the turn
  --system TEXT          a system prompt (ask)
  --follow-up TEXT       a further question in the same chat, after the answer (ask); repeatable
  --temperature N        0 is greedy (default: the package's generation_config)
  --top-p N, --top-k N, --repetition-penalty N, --seed N
  --max-new-tokens N
  --draft-tokens N       draft tokens per decoder run, copied from the context (default: 4, or 0 on a merged
                         decoder that hands its whole cache back on cpu and wasm)
  --dtype DTYPE          fp32, fp16, q4, q4f16, quantized, int8, uint8, bnb4 (every part); PART=DTYPE
                         for one part (vision_encoder, projector, embed_tokens, decoder_model_merged),
                         repeatable, later ones winning; parts not named get the backend's choice
  --backend NAME         wasm (onnxruntime-web, default), cpu (onnxruntime-node), webgpu (onnxruntime-node;
                         onnxruntime-web over Dawn with graph capture when the package has
                         decoder_model_static and Dawn finds an adapter)
  --cpu-attention KIND   group-query (onnxruntime's) or two-part: the attention of the static decoder
                         on cpu and wasm (default two-part)
  --cpu-threads N        the cpu backend's threads (default: every CPU the process may use)
  --replay-every-step    on the graph-captured path, replay the captured graph at every step, where by
                         default a step runs uncaptured when that has measured cheaper
  --json                 print one JSON object per answer: text, token ids, timings`;

export interface Command {
  readonly kind: 'ask' | 'generate';
  readonly model: string;
  readonly hubEndpoint: string | undefined;
  /** The turn's images, in the order given. */
  readonly images: readonly string[];
  readonly system: string | undefined;
  readonly prompt: string;
  /** Further questions of `ask`, each asked in the same conversation after the answer before it. */
  readonly followUps: readonly string[];
  readonly backend: Backend;
  /** The parts whose dtype the command line names. */
  readonly dtype: Partial<Record<ModelPart, Dtype>> | undefined;
  /** LoadOptions.cpuAttention, when named. */
  readonly cpuAttention: CpuAttentionKind | undefined;
  /** LoadOptions.cpuThreads, when named. */
  readonly cpuThreads: number | undefined;
  /** LoadOptions.replayEveryStep. */
  readonly replayEveryStep: boolean;
  readonly json: boolean;
  readonly generate: GenerateOptions;
}

const BACKENDS: readonly Backend[] = ['wasm', 'cpu', 'webgpu'];

/** `--dtype DTYPE` names every part, `--dtype PART=DTYPE` one. */
export function dtypeOption(
  values: readonly string[] | undefined,
): Partial<Record<ModelPart, Dtype>> | undefined {
  if (!values?.length) return undefined;
  const chosen: Partial<Record<ModelPart, Dtype>> = {};
  for (const value of values) {
    const split = value.indexOf('=');
    const dtype = oneOf(DTYPES, value.slice(split + 1), 'dtype');
    const parts = split < 0 ? MODEL_PARTS : [oneOf(MODEL_PARTS, value.slice(0, split), 'dtype PART')];
    for (const part of parts) chosen[part] = dtype;
  }
  return chosen;
}

export function parseCommand(argv: readonly string[]): Command {
  const { values, positionals } = parse(argv);
  const [kind, ...rest] = positionals;
  if (kind !== 'ask' && kind !== 'generate')
    throw new UsageError(kind ? `Unknown command '${kind}'.` : 'No command given.');
  if (!values.model) throw new UsageError('--model DIR or --model ORG/NAME is required.');
  if (rest.length !== 1 || rest[0] === undefined)
    throw new UsageError(`${kind} takes exactly one text argument.`);
  const images = values.image ?? [];
  if (kind === 'ask' && images.length === 0) throw new UsageError('ask needs --image FILE.');
  if (kind === 'generate' && images.length > 0) throw new UsageError('generate takes no image; use ask.');
  const followUps = values['follow-up'] ?? [];
  if (kind === 'generate' && followUps.length > 0)
    throw new UsageError('generate continues one text; --follow-up is for ask.');

  // Hugging Face's bounds: a top-p of 0 or a repetition penalty of 0 would leave no token to sample.
  const sampling = {
    temperature: numberOption(values.temperature, 'temperature', { min: 0 }),
    topP: numberOption(values['top-p'], 'top-p', { above: 0, max: 1 }),
    topK: numberOption(values['top-k'], 'top-k', { integer: true, min: 0 }),
    repetitionPenalty: numberOption(values['repetition-penalty'], 'repetition-penalty', { above: 0 }),
    seed: numberOption(values.seed, 'seed', { integer: true }),
    maxNewTokens: numberOption(values['max-new-tokens'], 'max-new-tokens', COUNT),
    draftTokens: numberOption(values['draft-tokens'], 'draft-tokens', { integer: true, min: 0 }),
  };
  const generate: GenerateOptions = Object.fromEntries(
    Object.entries(sampling).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
  return {
    kind,
    model: values.model,
    hubEndpoint: values['hub-endpoint'],
    images,
    system: values.system,
    prompt: rest[0],
    followUps,
    backend: values.backend === undefined ? 'wasm' : oneOf(BACKENDS, values.backend, 'backend'),
    dtype: dtypeOption(values.dtype),
    cpuAttention:
      values['cpu-attention'] === undefined
        ? undefined
        : oneOf(CPU_ATTENTION_KINDS, values['cpu-attention'], 'cpu-attention'),
    cpuThreads: numberOption(values['cpu-threads'], 'cpu-threads', COUNT),
    replayEveryStep: values['replay-every-step'] ?? false,
    json: values.json ?? false,
    generate,
  };
}

function parse(argv: readonly string[]) {
  return parseOptions({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'hub-endpoint': { type: 'string' },
      image: { type: 'string', multiple: true },
      system: { type: 'string' },
      'follow-up': { type: 'string', multiple: true },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'draft-tokens': { type: 'string' },
      dtype: { type: 'string', multiple: true },
      backend: { type: 'string' },
      'cpu-attention': { type: 'string' },
      'cpu-threads': { type: 'string' },
      'replay-every-step': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
