/**
 * One decode step of a package's decoder at a given past length, timed whole and (on onnxruntime-node)
 * per op type with onnxruntime's own profiler, so the kernels that take a step's time are named. Given
 * several files (e.g. the q4 and the 8-bit decoder), it runs their steps in turn within one process, so a
 * machine's changing load falls on each alike, and prints each median against the first file's.
 * A decoder_model_static file runs as the cpu backend runs it (cpu-static-graph.ts): a greedy step over past
 * buffers of fixed capacity, only next_token and the new position's keys and values fetched, once per
 * attention of `--attention` (two-part-attention.ts, GroupQueryAttention).
 * `npx tsx tools/profile/decoder-ops.ts FILE.onnx [FILE.onnx …] [--past 866] [--reps 5] [--threads 2]
 *  [--backend cpu|wasm] [--profile] [--no-arena] [--prealloc] [--attention two-part,group-query]`
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { cpuStaticGraph, KV_ENDS, KV_STARTS, LOGITS_START } from '../../src/engine/decoder/cpu-static-graph';
import type { Ort, OrtSession, OrtTensor } from '../../src/engine/runtime/ort';
import type { CpuAttentionKind } from '../../src/engine/types';

const { values, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    past: { type: 'string', default: '866' },
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'cpu' },
    profile: { type: 'boolean', default: false },
    'no-arena': { type: 'boolean', default: false },
    prealloc: { type: 'boolean', default: false },
    attention: { type: 'string', default: 'two-part,group-query' },
  },
});
if (files.length === 0) throw new Error('usage: decoder-ops.ts FILE.onnx [FILE.onnx …]');
const past = Number(values.past);
const reps = Number(values.reps);
const threads = Number(values.threads);
const backend = values.backend;
const ort: Ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
if (backend === 'wasm') ort.env.wasm.numThreads = threads;

interface Step {
  readonly file: string;
  readonly session: OrtSession;
  readonly run: () => Promise<unknown>;
  readonly times: number[];
}

function dims(session: OrtSession, name: string, outputs = false): readonly (number | string)[] {
  const meta = (outputs ? session.outputMetadata : session.inputMetadata).find((m) => m.name === name);
  return meta && 'shape' in meta ? meta.shape : [];
}

/** The static decoder's past buffers hold whole blocks of 256 positions, as cpu-static-decoder.ts's do. */
const capacity = Math.ceil((past + 1) / 256) * 256;

/** Feeds for one new position after `past` cached ones (values do not change the speed). */
function feeds(session: OrtSession): Record<string, OrtTensor> {
  const out: Record<string, OrtTensor> = {};
  const int64 = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);
  const isStatic = session.inputNames.includes(LOGITS_START);
  const [, kvHeads, , headDim] = dims(session, 'past_key_values.0.key').map(Number);
  for (const name of session.inputNames) {
    const shape = dims(session, name);
    if (name === 'seqlens_k') out[name] = new ort.Tensor('int32', Int32Array.of(past), [1]);
    else if (name === 'total_sequence_length')
      out[name] = new ort.Tensor('int32', Int32Array.of(past + 1), []);
    else if (name === LOGITS_START) out[name] = int64([-1]);
    else if (name === KV_STARTS) out[name] = int64([0, 0, past, 0]);
    else if (name === KV_ENDS) out[name] = int64([1, kvHeads ?? 1, past + 1, headDim ?? 1]);
    else if (name === 'inputs_embeds') {
      const hidden = Number(shape[2]);
      out[name] = new ort.Tensor('float32', new Float32Array(hidden).fill(0.01), [1, 1, hidden]);
    } else if (name === 'attention_mask') {
      out[name] = new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]);
    } else if (name === 'position_ids') {
      out[name] = new ort.Tensor('int64', BigInt64Array.of(BigInt(past)), [1, 1]);
    } else if (name === 'num_logits_to_keep') {
      out[name] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    } else if (name.startsWith('past_key_values.')) {
      const [heads, dim] = [Number(shape[1]), Number(shape[3])];
      const length = isStatic ? capacity : past;
      const data = new Float32Array(heads * length * dim).fill(0.01);
      out[name] = new ort.Tensor('float32', data, [1, heads, length, dim]);
    } else {
      throw new Error(`no feed for ${name}`);
    }
  }
  return out;
}

/** Output tensors made once and handed to every run, as a host that reuses its KV buffers would. */
function preallocated(session: OrtSession): Record<string, OrtTensor> {
  return Object.fromEntries(
    session.outputNames.map((name) => {
      if (name === 'logits') {
        const vocab = Number(dims(session, name, true)[2]);
        return [name, new ort.Tensor('float32', new Float32Array(vocab), [1, 1, vocab])];
      }
      const [, heads, , dim] = dims(session, name.replace('present.', 'past_key_values.')).map(Number);
      const [h = 1, d = 1] = [heads, dim];
      return [name, new ort.Tensor('float32', new Float32Array(h * (past + 1) * d), [1, h, past + 1, d])];
    }),
  );
}

async function open(file: string, index: number, attention?: CpuAttentionKind): Promise<Step> {
  const bytes = new Uint8Array(await readFile(file));
  const isStatic = attention !== undefined;
  const model = attention ? cpuStaticGraph(bytes, { attention }) : undefined;
  if (model?.fallback) console.log(`${file}: ${attention} asked, fell back: ${model.fallback}`);
  const session = await ort.InferenceSession.create(model ? model.bytes : bytes, {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    logSeverityLevel: 3,
    ...(values['no-arena'] ? { enableCpuMemArena: false } : {}),
    ...(values.profile
      ? { enableProfiling: true, profileFilePrefix: `/tmp/decoder-ops-${process.pid}-${index}` }
      : {}),
  });
  const input = feeds(session);
  const fetches = values.prealloc ? preallocated(session) : undefined;
  const greedy = session.outputNames.filter((name) => name !== 'logits');
  const run = () =>
    isStatic ? session.run(input, greedy) : fetches ? session.run(input, fetches) : session.run(input);
  await run();
  return { file: attention ? `${file} (${attention})` : file, session, run, times: [] };
}

/** onnxruntime-node's profile of the runs, summed per op type (the lm_head's MatMulNBits apart). */
async function printProfile(step: Step, index: number): Promise<void> {
  step.session.endProfiling();
  const name = (await readdir('/tmp')).find((n) => n.startsWith(`decoder-ops-${process.pid}-${index}`));
  if (name === undefined) throw new Error('no profile written');
  const events: { cat: string; name: string; dur: number; args?: { op_name?: string } }[] = JSON.parse(
    await readFile(`/tmp/${name}`, 'utf8'),
  );
  await rm(`/tmp/${name}`);
  const byOp = new Map<string, number>();
  let runs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const key = e.name.includes('lm_head') ? `${op} (lm_head)` : op;
    byOp.set(key, (byOp.get(key) ?? 0) + e.dur);
  }
  const kernels = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(`  profiled runs ${runs}, kernels ${(kernels / runs / 1000).toFixed(1)} ms a run`);
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]))
    console.log(
      `  ${op.padEnd(36)} ${(us / runs / 1000).toFixed(2).padStart(8)} ms  ${((100 * us) / kernels).toFixed(1)}%`,
    );
}

const steps: Step[] = [];
for (const file of files) {
  const attentions = file.includes('decoder_model_static')
    ? (values.attention.split(',') as CpuAttentionKind[])
    : [undefined];
  for (const attention of attentions) steps.push(await open(file, steps.length, attention));
}
for (let i = 0; i < reps; i++) {
  for (const step of steps) {
    const start = performance.now();
    await step.run();
    step.times.push(performance.now() - start);
  }
}
const median = (times: number[]) =>
  [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN;
const first = median(steps[0]?.times ?? []);
console.log(`${backend}, ${threads} threads, past ${past}, ${reps} steps each, in turn:`);
for (const [index, step] of steps.entries()) {
  const ms = median(step.times);
  console.log(`${step.file}: step median ${ms.toFixed(1)} ms (${(ms / first).toFixed(2)}× the first)`);
  if (values.profile && backend === 'cpu') await printProfile(step, index);
  await step.session.release();
}
