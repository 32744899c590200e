/**
 * The graph-captured decode path (StaticDecoder over a package's decoder_model_static graph) on
 * onnxruntime-web's WebGPU provider in Node over Dawn: greedy tokens from a prompt, checked against a
 * reference list of ids where one is given, and timed. Prints one JSON line.
 *
 *   npx tsx tools/testing/captured-decode.ts --package models/stories260k [--static onnx/decoder_model_static.onnx]
 *     [--embed onnx/embed_tokens.onnx] [--prompt 1 | --prompt-length 64] [--max-new-tokens 256]
 *     [--expect .cache/reference/greedy-from-bos.ids] [--compare-uncaptured 16] [--merged 16]
 *     [--bandwidth 4.8e12 | --bandwidth measured]
 *
 * The reference ids are the generated ones, as the documented sample lists them (without the prompt).
 * `bandwidthFraction` is the decoder file's bytes a token over the GPU's read bandwidth: --bandwidth B/s (the
 * H200's 4.8e12 by default), or `measured`, the GPU's own read rate measured through Dawn at the end
 * (gpu-bandwidth.ts, as the bench's webgpu ceiling), reported as `readBytesPerSecond`.
 * --compare-uncaptured N also runs the first N steps of the same graph without replay (the provider
 * recording nothing), and reports their rate beside the captured one and whether the tokens agree.
 * --merged N also decodes N tokens of the text prompt --merged-prompt through the engine as it runs a
 * package without the static graph on this runtime: the merged decoder (same dtype), growing KV cache.
 * --engine N decodes them through the engine's captured path (a completion, as the app runs it, every step
 * replayed: LoadOptions.replayEveryStep), where the tool's own loop above is the StaticDecoder alone; --engine-drafts D with D draft tokens a captured step
 * (prompt lookup), 0 by default. --engine-temperature T samples both engine paths (--merged, --engine) at
 * temperature T with top-p 0.9 and a fixed seed, where 0 (the default) decodes greedily: a sampler reads each
 * step's logits, on the captured path from the replayed graph.
 * Every graph is loaded as the engine loads it on WebGPU, each layer's q, k and v projections packed into
 * one (gpu-decoder-part.ts); --no-packed-qkv keeps them as the package has them, the baseline.
 *
 * Each decode path's steps after the first token also report, from dawn-kernels.ts: kernels (compute
 * dispatches, embed_tokens' included) per token, GPU milliseconds inside compute passes per token where
 * the device has timestamp-query (else `timestampsMissing` says why), and wall milliseconds per token
 * over the same steps, and the buffers read back from the GPU per token and their bytes. `kernelsPerStep` lists the distinct counts one replayed decoder run took,
 * `embedKernelsPerStep` embed_tokens' run, and `capturingStepKernels` what the decoder run that
 * captured the graph dispatched: onnxruntime runs the graph twice in it ("Start another run for
 * necessary memory allocation or graph capture"), once plainly and once from the capture.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureGpuReadBandwidth } from '../../src/bench/node/gpu-bandwidth';
import { KernelCounter, type KernelWindow } from '../../src/cli/dawn-kernels';
import { dawnDevice, loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { type GpuDevice, StaticDecoder } from '../../src/engine/decoder/static-decoder';
import { loadModel } from '../../src/engine/index';
import { capturedStepGraph } from '../../src/engine/model/static-part';
import { folderReader } from '../../src/engine/node/folder-reader';
import type { OrtSession, OrtTensor } from '../../src/engine/runtime/ort';

const { values } = parseArgs({
  options: {
    package: { type: 'string' },
    static: { type: 'string' },
    embed: { type: 'string' },
    prompt: { type: 'string', default: '1' },
    'prompt-length': { type: 'string' },
    'max-new-tokens': { type: 'string', default: '64' },
    'max-length': { type: 'string', default: '1024' },
    expect: { type: 'string' },
    'compare-uncaptured': { type: 'string', default: '0' },
    merged: { type: 'string', default: '0' },
    engine: { type: 'string', default: '0' },
    'engine-drafts': { type: 'string', default: '0' },
    'engine-temperature': { type: 'string', default: '0' },
    'merged-prompt': { type: 'string', default: 'Once upon a time' },
    bandwidth: { type: 'string', default: '4.8e12' },
    'no-packed-qkv': { type: 'boolean', default: false },
  },
});
const dir = values.package;
if (!dir) throw new Error('--package DIR is required');

async function firstExisting(names: readonly string[]): Promise<string> {
  for (const name of names) {
    if (await stat(join(dir ?? '', name)).catch(() => undefined)) return name;
  }
  throw new Error(`${dir} has none of ${names.join(', ')}`);
}

const staticFile =
  values.static ??
  (await firstExisting(['onnx/decoder_model_static.onnx', 'onnx/decoder_model_static_q4.onnx']));
const embedFile =
  values.embed ?? (await firstExisting(['onnx/embed_tokens.onnx', 'onnx/embed_tokens_fp16.onnx']));
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
const text = (config.text_config ?? config) as Record<string, number>;
const hidden = text.hidden_size ?? 0;
const heads = text.num_attention_heads ?? 0;
const kvHeads = text.num_key_value_heads ?? heads;
const headDim = text.head_dim ?? hidden / heads;

const runtime = await loadDawnRuntime();
if (typeof runtime === 'string') throw new Error(runtime);
const { ort } = runtime;

const packedQkv = !values['no-packed-qkv'];
let packedQkvLayers = 0;

async function session(file: string, options: object, asStep = false): Promise<OrtSession> {
  const read = await readFile(join(dir ?? '', file));
  const dataPath = join(dir ?? '', `${file}_data`);
  const data = await readFile(dataPath).catch(() => undefined);
  const externalData = data ? [{ path: `${file.split('/').pop()}_data`, data }] : [];
  // The static graph as the engine loads it for capture, its data file read for weights stored there.
  const step = asStep
    ? capturedStepGraph(read, { file, externalData }, { packedQkv, draftTokens: 0 })
    : undefined;
  if (step) packedQkvLayers = step.packedLayers;
  return ort.InferenceSession.create(step?.graph ?? read, {
    executionProviders: [{ name: 'webgpu', validationMode: 'disabled' }] as never,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(externalData.length > 0 ? { externalData } : {}),
    ...options,
  });
}

const loadStart = performance.now();
const embed = await session(embedFile, { preferredOutputLocation: 'gpu-buffer' });
const decoderSession = await session(staticFile, { enableGraphCapture: true }, true);
const uncapturedSession = await session(
  staticFile,
  {
    preferredOutputLocation: Object.fromEntries(decoderSessionOutputs().map((name) => [name, 'gpu-buffer'])),
  },
  true,
);
const logitsInfo = (
  decoderSession.outputMetadata as readonly { name: string; shape?: readonly (number | string)[] }[]
).find((m) => m.name === 'logits');
const vocab = Number(logitsInfo?.shape?.at(-1) ?? text.vocab_size);
const device = dawnDevice(ort) as GpuDevice;
const layers = decoderSession.inputNames.filter((n) => n.endsWith('.key')).length;
const maxLength = Number(values['max-length']);
/** Dispatches of embed_tokens' last run, which the decoder's step makes. */
let embedDispatches = 0;
// The step runs embed_tokens itself: counted apart, as the kernels of its run.
const countedEmbed = new Proxy(embed, {
  get(target, key) {
    if (key !== 'run') return Reflect.get(target, key);
    return async (...args: Parameters<OrtSession['run']>) => {
      const before = counter.dispatched;
      const out = await target.run(...args);
      embedDispatches = counter.dispatched - before;
      return out;
    };
  },
});
const embedsInfo = embed.outputMetadata.find((m) => m.name === 'inputs_embeds');
if (embedsInfo?.isTensor && embedsInfo.type !== 'float32')
  throw new Error(`${embedFile} gives ${embedsInfo.type} embeddings; the captured step takes float32`);
const decoder = await StaticDecoder.create(
  ort,
  device,
  {
    captured: decoderSession,
    uncaptured: uncapturedSession,
    embed: { session: countedEmbed, file: embedFile, embedsType: 'float32' },
  },
  {
    layers,
    kvHeads,
    headDim,
    hidden,
    vocab,
    maxLength,
    positionIds: decoderSession.inputNames.includes('position_ids'),
  },
);
const loadMs = performance.now() - loadStart;
const counter = KernelCounter.install(() => dawnDevice(ort));

function decoderSessionOutputs(): readonly string[] {
  return decoderSession.outputNames;
}

async function embedIds(ids: readonly number[]): Promise<OrtTensor> {
  const input = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const out = await embed.run({ input_ids: input });
  const embeds = out.inputs_embeds;
  if (!embeds) throw new Error('embed_tokens returned no inputs_embeds');
  return embeds;
}

async function embedOnCpu(ids: readonly number[]): Promise<Float32Array> {
  const tensor = await embedIds(ids);
  try {
    return (await tensor.getData()) as Float32Array;
  } finally {
    tensor.dispose();
  }
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] ?? 0) > (row[best] ?? 0)) best = i;
  return best;
}

const promptLength = values['prompt-length'];
const prompt = promptLength
  ? Array.from({ length: Number(promptLength) }, (_, i) => (i * 7919 + 13) % vocab)
  : values.prompt.split(',').map(Number);
const maxNew = Number(values['max-new-tokens']);

const round = (value: number) => Number(value.toFixed(3));

/** What one decode path's steps after the first token cost, per token. */
interface StepCost {
  readonly kernelsPerToken: number;
  readonly gpuMsPerToken?: number;
  readonly wallMsPerToken: number;
  /** Buffers read back from the GPU per token (each a wait for the GPU), and their bytes. */
  readonly readsPerToken: number;
  readonly readBytesPerToken: number;
  /** GPU buffers created per token: allocations a step could have reused. */
  readonly buffersPerToken: number;
  readonly timestampsMissing?: string;
}

function stepCost(window: KernelWindow, steps: number, wallMs: number): StepCost | undefined {
  if (steps < 1) return undefined;
  return {
    kernelsPerToken: round(window.dispatches / steps),
    ...(window.gpuMs === undefined ? {} : { gpuMsPerToken: round(window.gpuMs / steps) }),
    wallMsPerToken: round(wallMs / steps),
    readsPerToken: round(window.reads / steps),
    readBytesPerToken: round(window.readBytes / steps),
    buffersPerToken: round(window.buffersCreated / steps),
    ...(window.timestampsMissing ? { timestampsMissing: window.timestampsMissing } : {}),
  };
}

/** Greedy generation; `captured` false runs every step without replay. */
async function generate(
  count: number,
  captured: boolean,
): Promise<{
  tokens: number[];
  ttftMs: number;
  decodeMs: number;
  cost?: StepCost;
  embedKernels: number[];
  stepKernels: number[];
}> {
  decoder.rewind(0);
  const start = performance.now();
  const first = argmax(await decoder.prefill(await embedOnCpu(prompt)));
  const ttftMs = performance.now() - start;
  const tokens = [first];
  const embedKernels: number[] = [];
  const stepKernels: number[] = [];
  const decodeStart = performance.now();
  counter.start();
  while (tokens.length < count) {
    const before = counter.dispatched;
    const [token = 0] = await decoder.greedy([tokens[tokens.length - 1] ?? 0], captured);
    tokens.push(token);
    embedKernels.push(embedDispatches);
    stepKernels.push(counter.dispatched - before - embedDispatches);
  }
  const decodeMs = performance.now() - decodeStart;
  const cost = stepCost(await counter.stop(), tokens.length - 1, decodeMs);
  return { tokens, ttftMs, decodeMs, ...(cost ? { cost } : {}), embedKernels, stepKernels };
}

const engineTemperature = Number(values['engine-temperature']);
const sampling =
  engineTemperature > 0 ? { temperature: engineTemperature, topP: 0.9, seed: 1 } : { temperature: 0 };

/** An engine path's cost: per decoder run (a token and its draft tokens), and the tokens a run gave. */
interface EngineCost extends StepCost {
  readonly tokensPerRun: number;
  readonly tokS: number;
}

/**
 * The engine's decode of the text prompt on this runtime, in the static graph's dtype, with `drafts` draft
 * tokens a run: without graph capture the merged decoder, with it the captured path. Counted from the
 * first streamed token, before whose step nothing of the window ran; the runs in the window are the
 * decoder runs after the first token less those before it. With drafts, StepCost's per-token figures are
 * per run.
 */
async function engineCost(
  count: number,
  graphCapture: boolean,
  drafts: number,
): Promise<EngineCost | undefined> {
  const dtype = staticFile.includes('_q4') ? 'q4' : 'fp32';
  const model = await loadModel(ort, folderReader(dir ?? ''), {
    backend: 'webgpu',
    graphCapture,
    // The captured path's own cost: every step replays, none left to the planner's measurements.
    replayEveryStep: true,
    draftTokens: drafts,
    packedQkv,
    dtype: { decoder_model_merged: dtype },
  });
  if (graphCapture && !model.info.staticDecoder)
    throw new Error('the engine did not load the static decoder');
  try {
    // The merged decoder compiles its shapes in a first completion; the captured path's load has already
    // captured its graph (static-part.ts), so its first completion is the one counted.
    if (!graphCapture)
      for await (const _ of model.complete(values['merged-prompt'], { maxNewTokens: 3, ...sampling })) {
      }
    let tokensBefore: number | undefined;
    let windowStart = 0;
    const events = model.complete(values['merged-prompt'], {
      maxNewTokens: count,
      ...sampling,
      draftTokens: drafts,
    });
    for await (const event of events) {
      if (event.type === 'delta' && tokensBefore === undefined) {
        tokensBefore = event.tokenIds.length;
        windowStart = performance.now();
        counter.start();
      } else if (event.type === 'done') {
        if (tokensBefore === undefined) return undefined;
        const wallMs = performance.now() - windowStart;
        const steps = (event.stats.decodeSteps?.steps ?? 0) - (tokensBefore - 1);
        const cost = stepCost(await counter.stop(), steps, wallMs);
        const tokens = event.tokenIds.length - tokensBefore;
        if (!cost) return undefined;
        return { ...cost, tokensPerRun: round(tokens / steps), tokS: round((tokens * 1000) / wallMs) };
      }
    }
    return undefined;
  } finally {
    await model.dispose();
  }
}

const compare = Number(values['compare-uncaptured']);
// A first generation of a few tokens captures the graph (at its first step), so the timed one replays it.
const warm = await generate(3, true);
const run = await generate(maxNew, true);
const uncaptured = compare > 0 ? await generate(compare, false) : undefined;
await decoder.release();
await embed.release();
// After the static decoder's two sessions are gone: a large package's weights are then held once.
const mergedSteps = Number(values.merged);
const merged = mergedSteps > 0 ? await engineCost(mergedSteps, false, 0) : undefined;
const engineSteps = Number(values.engine);
const engineDrafts = Number(values['engine-drafts']);
const engine = engineSteps > 0 ? await engineCost(engineSteps, true, engineDrafts) : undefined;

let expectedMatch: number | undefined;
if (values.expect) {
  const want = (await readFile(values.expect, 'utf8')).trim().split(/\s+/).map(Number);
  const got = run.tokens;
  expectedMatch = 0;
  while (expectedMatch < Math.min(want.length, got.length) && want[expectedMatch] === got[expectedMatch])
    expectedMatch++;
}

let weightBytes = 0;
for (const file of [staticFile, `${staticFile}_data`])
  weightBytes += (await stat(join(dir, file)).catch(() => ({ size: 0 }))).size;
async function readBandwidth(): Promise<number> {
  if (values.bandwidth !== 'measured') return Number(values.bandwidth);
  const measured = await measureGpuReadBandwidth();
  if (typeof measured === 'string') throw new Error(`--bandwidth measured: ${measured}`);
  return measured.readBytesPerSecond;
}
const readBytesPerSecond = await readBandwidth();
const distinct = (counts: readonly number[]) => [...new Set(counts)];
const rate = (tokens: number, ms: number) => (tokens > 1 ? ((tokens - 1) * 1000) / ms : 0);
const decodeTokS = rate(run.tokens.length, run.decodeMs);
console.log(
  JSON.stringify({
    runtime: 'onnxruntime-web (Dawn)',
    adapter: runtime.adapter,
    graphCapture: true,
    package: dir,
    decoder: staticFile,
    packedQkvLayers,
    loadMs: Math.round(loadMs),
    promptLength: prompt.length,
    tokens: run.tokens,
    expectedMatch,
    expectedLength: values.expect ? run.tokens.length : undefined,
    ttftMs: Number(run.ttftMs.toFixed(1)),
    decodeTokS: Number(decodeTokS.toFixed(1)),
    ...run.cost,
    kernelsPerStep: distinct(run.stepKernels),
    embedKernelsPerStep: distinct(run.embedKernels),
    capturingStepKernels: warm.stepKernels[0],
    uncapturedTokS: uncaptured
      ? Number(rate(uncaptured.tokens.length, uncaptured.decodeMs).toFixed(1))
      : undefined,
    uncapturedAgrees: uncaptured ? uncaptured.tokens.every((t, i) => t === run.tokens[i]) : undefined,
    uncaptured: uncaptured?.cost,
    uncapturedKernelsPerStep: uncaptured ? distinct(uncaptured.stepKernels) : undefined,
    merged,
    engine,
    engineSampling: sampling,
    weightBytes,
    readBytesPerSecond,
    bandwidthFraction: Number(((weightBytes * decodeTokS) / readBytesPerSecond).toFixed(4)),
  }),
);
