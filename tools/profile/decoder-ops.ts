/**
 * One decode step of a package's decoder at a given past length, timed whole and (on onnxruntime-node)
 * per op type with onnxruntime's own profiler, so the kernels that take a step's time are named.
 * `npx tsx tools/profile/decoder-ops.ts FILE.onnx [--past 866] [--reps 5] [--threads 2] [--backend cpu|wasm]`
 */
import { readFile, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    past: { type: 'string', default: '866' },
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'cpu' },
    profile: { type: 'boolean', default: false },
    'no-arena': { type: 'boolean', default: false },
    prealloc: { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: decoder-ops.ts FILE.onnx');
const past = Number(values.past);
const reps = Number(values.reps);
const threads = Number(values.threads);
const backend = values.backend;
const ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
if (backend === 'wasm') ort.env.wasm.numThreads = threads;

const prefix = `/tmp/decoder-ops-${process.pid}`;
const session = await ort.InferenceSession.create(await readFile(file), {
  executionProviders: [backend],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: threads,
  logSeverityLevel: 3,
  ...(values['no-arena'] ? { enableCpuMemArena: false } : {}),
  ...(values.profile ? { enableProfiling: true, profileFilePrefix: prefix } : {}),
});
const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
function feeds(): Record<string, InstanceType<typeof ort.Tensor>> {
  const out: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const name of session.inputNames) {
    const m = meta.get(name);
    const shape = m && 'shape' in m ? m.shape : [];
    if (name === 'inputs_embeds') {
      const hidden = Number(shape[2]);
      out[name] = new ort.Tensor('float32', new Float32Array(hidden).fill(0.01), [1, 1, hidden]);
    } else if (name === 'attention_mask') {
      out[name] = new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]);
    } else if (name === 'position_ids') {
      out[name] = new ort.Tensor('int64', BigInt64Array.of(BigInt(past)), [1, 1]);
    } else if (name === 'num_logits_to_keep') {
      out[name] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    } else if (name.startsWith('past_key_values.')) {
      const heads = Number(shape[1]);
      const dim = Number(shape[3]);
      out[name] = new ort.Tensor('float32', new Float32Array(heads * past * dim).fill(0.01), [
        1,
        heads,
        past,
        dim,
      ]);
    } else {
      throw new Error(`no feed for ${name}`);
    }
  }
  return out;
}
const f = feeds();
// Outputs written into buffers made once, as a host that reuses its KV buffers would.
const fetches = values.prealloc
  ? Object.fromEntries(
      session.outputNames.map((name) => {
        const input = f[name.replace('present.', 'past_key_values.')];
        if (name === 'logits' || !input) {
          const meta = session.outputMetadata.find((m) => m.name === name);
          const vocab = meta && 'shape' in meta ? Number(meta.shape[2]) : 0;
          return [name, new ort.Tensor('float32', new Float32Array(vocab), [1, 1, vocab])];
        }
        const [b = 1, h = 1, , d = 1] = input.dims;
        return [name, new ort.Tensor('float32', new Float32Array(h * (past + 1) * d), [b, h, past + 1, d])];
      }),
    )
  : undefined;
await session.run(f, fetches);
const times: number[] = [];
for (let i = 0; i < reps; i++) {
  const start = performance.now();
  await session.run(f, fetches);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(
  `${backend}, ${threads} threads, past ${past}: step median ${times[Math.floor(reps / 2)]?.toFixed(1)} ms`,
);
if (values.profile && 'endProfiling' in session) {
  session.endProfiling();
  const { readdir } = await import('node:fs/promises');
  const name = (await readdir('/tmp')).find((n) => n.startsWith(`decoder-ops-${process.pid}`));
  if (name === undefined) throw new Error('no profile written');
  const events: { cat: string; name: string; dur: number; args?: { op_name?: string } }[] = JSON.parse(
    await readFile(`/tmp/${name}`, 'utf8'),
  );
  await rm(`/tmp/${name}`);
  const byOp = new Map<string, number>();
  let runs = 0;
  let total = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') {
      runs++;
      total += e.dur;
    }
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const key = op === 'MatMulNBits' && e.name.includes('lm_head') ? 'MatMulNBits (lm_head)' : op;
    byOp.set(key, (byOp.get(key) ?? 0) + e.dur);
  }
  const kernels = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(
    `profiled runs ${runs}, mean run ${(total / runs / 1000).toFixed(1)} ms, kernels ${(kernels / runs / 1000).toFixed(1)} ms`,
  );
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]))
    console.log(
      `  ${op.padEnd(36)} ${(us / runs / 1000).toFixed(2).padStart(8)} ms  ${((100 * us) / kernels).toFixed(1)}%`,
    );
}
await session.release();
