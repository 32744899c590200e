/** The command line of `glimpse bench`, parsed into one typed options object. */
import type { BenchBackend, SystemName } from '../bench/report';
import { CPU_ATTENTION_KINDS, type CpuAttentionKind, type Dtype } from '../engine/index';
import { DTYPES } from '../engine/model/files';
import { COUNT, listOf, numberOption, oneOf, parseOptions, UsageError } from './options';
import { defaultCpuThreads } from './ort';

export const BENCH_USAGE = `Usage: glimpse bench [options]
  Measures Glimpse and transformers.js on the same model files in Node and compares them.

Options:
  --model NAME|DIR       tiny-llava (default: models/tiny-llava-fused), synthetic-interleave (built on demand
                         into .cache/models/), or a folder in the transformers.js layout
  --backends LIST        comma-separated: wasm (onnxruntime-web), cpu (onnxruntime-node), webgpu (Glimpse as
                         glimpse ask runs it: onnxruntime-web over Dawn with graph capture for a package with
                         a captured decode variant, else onnxruntime-node; transformers.js on
                         onnxruntime-node); default wasm,cpu
  --systems LIST         glimpse,transformers.js (default both)
  --runs N               fresh conversations per system (median reported)
  --max-new-tokens N     tokens per run
  --turns N              turns of the multi-turn conversation (default 5)
  --wasm-threads N       onnxruntime-web threads (default 1)
  --draft-tokens N       Glimpse's draft tokens per decoder run (default: its own, 4 where a wrong draft is a
                         length change, else 0)
  --no-static-cache      Glimpse on cpu and wasm decodes with the merged decoder even where the package
                         has decoder_model_static in its dtype (the baseline of the KV cache kept in place)
  --no-row-cache         Glimpse's merged decoder on cpu and wasm hands back its whole KV cache on every run,
                         as the graph does unrewired (the baseline of LoadOptions.rowCache)
  --no-packed-qkv        Glimpse on webgpu keeps each layer's q, k and v projections apart, as the package has
                         them (the baseline of LoadOptions.packedQkv)
  --no-graph-capture     Glimpse on webgpu runs on onnxruntime-node's WebGPU EP, without graph capture (the
                         baseline of LoadOptions.graphCapture)
  --cpu-attention KIND   group-query or two-part: the attention of Glimpse's static decoder on cpu
                         and wasm (default two-part)
  --cpu-threads N        onnxruntime-node's threads on cpu, for both systems (default: every CPU)
  --dtype DTYPE          the decoder's and vision encoder's file variant (q4, quantized, int8, fp32, …) where
                         the package has it (default: the engine's choice per backend, as the app loads)
  --quick                tiny-llava only, few runs: under two minutes on 2 cores
  --timeout S            seconds one system may take on one backend before it counts as failed
  --name NAME            results file name under bench/results (default node-<model>)
  --json                 print one JSON object (the whole report) as the last line`;

export interface BenchOptions {
  readonly model: string;
  readonly backends: readonly BenchBackend[];
  readonly systems: readonly SystemName[];
  readonly runs: number | undefined;
  readonly maxNewTokens: number | undefined;
  readonly turns: number;
  readonly wasmThreads: number;
  readonly draftTokens: number | undefined;
  /** LoadOptions.staticCache for Glimpse (default true). */
  readonly staticCache: boolean;
  /** LoadOptions.rowCache for Glimpse (default true). */
  readonly rowCache: boolean;
  /** LoadOptions.packedQkv for Glimpse (default true). */
  readonly packedQkv: boolean;
  /** Glimpse on webgpu runs the captured path where it loads (default true). */
  readonly graphCapture: boolean;
  /** LoadOptions.cpuAttention for Glimpse (default: the engine's). */
  readonly cpuAttention: CpuAttentionKind | undefined;
  /** onnxruntime-node's intra-op threads on cpu, for both systems. */
  readonly cpuThreads: number;
  readonly dtype: Dtype | undefined;
  readonly quick: boolean;
  readonly timeout: number | undefined;
  readonly name: string | undefined;
  readonly json: boolean;
}

const BACKENDS: readonly BenchBackend[] = ['wasm', 'cpu', 'webgpu'];
const SYSTEMS: readonly SystemName[] = ['glimpse', 'transformers.js'];

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parse(argv);
  const quick = values.quick ?? false;
  const model = values.model ?? 'tiny-llava';
  if (quick && model !== 'tiny-llava') throw new UsageError('--quick runs tiny-llava only.');
  return {
    model,
    backends: values.backends === undefined ? ['wasm', 'cpu'] : listOf(BACKENDS, values.backends, 'backends'),
    systems: listOf(SYSTEMS, values.systems, 'systems'),
    runs: numberOption(values.runs, 'runs', COUNT),
    maxNewTokens: numberOption(values['max-new-tokens'], 'max-new-tokens', COUNT),
    turns: numberOption(values.turns, 'turns', COUNT) ?? 5,
    wasmThreads: numberOption(values['wasm-threads'], 'wasm-threads', COUNT) ?? 1,
    draftTokens: numberOption(values['draft-tokens'], 'draft-tokens', { integer: true, min: 0 }),
    staticCache: !(values['no-static-cache'] ?? false),
    rowCache: !(values['no-row-cache'] ?? false),
    packedQkv: !(values['no-packed-qkv'] ?? false),
    graphCapture: !(values['no-graph-capture'] ?? false),
    cpuAttention:
      values['cpu-attention'] === undefined
        ? undefined
        : oneOf(CPU_ATTENTION_KINDS, values['cpu-attention'], 'cpu-attention'),
    cpuThreads: numberOption(values['cpu-threads'], 'cpu-threads', COUNT) ?? defaultCpuThreads(),
    dtype: values.dtype === undefined ? undefined : oneOf(DTYPES, values.dtype, 'dtype'),
    quick,
    timeout: numberOption(values.timeout, 'timeout', COUNT),
    name: values.name,
    json: values.json ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseOptions({
    args: [...argv],
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      backends: { type: 'string' },
      systems: { type: 'string' },
      runs: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      turns: { type: 'string' },
      'wasm-threads': { type: 'string' },
      'draft-tokens': { type: 'string' },
      dtype: { type: 'string' },
      'no-static-cache': { type: 'boolean' },
      'no-row-cache': { type: 'boolean' },
      'no-packed-qkv': { type: 'boolean' },
      'no-graph-capture': { type: 'boolean' },
      'cpu-attention': { type: 'string' },
      'cpu-threads': { type: 'string' },
      quick: { type: 'boolean' },
      timeout: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
}
