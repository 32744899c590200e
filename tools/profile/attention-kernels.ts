/**
 * Times one layer's attention for a one-token decode step at a given past length: onnxruntime's fused
 * GroupQueryAttention against the same attention from standard ops (Concat, MatMul, Softmax), and the
 * cpu backend's rewired static graph with each of its attentions (cpu-static-graph.ts: GroupQueryAttention
 * with only the new rows fetched, and two-part-attention.ts), on onnxruntime-node's CPU EP and
 * onnxruntime-web's wasm EP.
 * `npx tsx tools/profile/attention-kernels.ts [--past 866] [--capacity 1024] [--threads 1] [--reps 20]
 *  [--kv-heads 16]`
 */
import { parseArgs } from 'node:util';
import { cpuStaticGraph, KV_ENDS, KV_STARTS, LOGITS_START } from '../../src/engine/decoder/cpu-static-graph';
import type { Ort } from '../../src/engine/index';
import type { CpuAttentionKind } from '../../src/engine/types';
import { GraphBuilder, MS_DOMAIN } from '../../src/toolkit/onnx/graph';

const { values } = parseArgs({
  options: {
    past: { type: 'string', default: '866' },
    capacity: { type: 'string', default: '2048' },
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '20' },
    backends: { type: 'string', default: 'cpu,wasm' },
    'kv-heads': { type: 'string', default: '16' },
  },
});
const P = Number(values.past);
const threads = Number(values.threads);
const reps = Number(values.reps);
const H = 16;
const D = 64;
const KV = Number(values['kv-heads']);

/**
 * GroupQueryAttention in the static decoder's layout (`logits/last`, present.* outputs), rewired as the
 * cpu backend rewires it, with `attention`: the attention output is the "logits", the new rows come out.
 */
function rewired(attention: CpuAttentionKind): Uint8Array {
  const g = new GraphBuilder('static');
  const q = g.input('q', 'float32', [1, 1, H * D]);
  const k = g.input('k', 'float32', [1, 1, KV * D]);
  const v = g.input('v', 'float32', [1, 1, KV * D]);
  const pk = g.input('pk', 'float32', [1, KV, 'p', D]);
  const pv = g.input('pv', 'float32', [1, KV, 'p', D]);
  const seqlens = g.input('seqlens', 'int32', [1]);
  const total = g.input('total', 'int32', []);
  const [out = '', presentK = '', presentV = ''] = g.node(
    'GroupQueryAttention',
    [q, k, v, pk, pv, seqlens, total],
    { num_heads: H, kv_num_heads: KV },
    { domain: MS_DOMAIN, outputs: 3, name: 'attention' },
  );
  g.output('present.0.key', 'float32', [1, KV, 't', D], presentK);
  g.output('present.0.value', 'float32', [1, KV, 't', D], presentV);
  const last = g.op(
    'Slice',
    [out, g.int64('last.start', [-1]), g.int64('last.end', [1 << 30]), g.int64('last.axes', [1])],
    {},
    { name: 'logits/last' },
  );
  g.output('logits', 'float32', [1, 1, H * D], last);
  g.output(
    'next_token',
    'int32',
    [1, 1],
    g.op('Cast', [g.op('ArgMax', [last], { axis: -1, keepdims: 0 })], { to: 6 }),
  );
  const model = cpuStaticGraph(g.serialize().model, { attention });
  if (model.attention !== attention) throw new Error(`${attention} fell back: ${model.fallback}`);
  return model.bytes;
}

/**
 * GroupQueryAttention alone. With `newRows`, its present.* stay inside the runtime and the graph hands back
 * only the new position's keys and values (Slice at total - 1), for the caller to write into its past
 * buffer of fixed capacity: what the cpu backend's static decoder does, since fetching a buffer makes
 * onnxruntime-node copy all of it out (cpu-static-graph.ts).
 */
function gqa(newRows = false): Uint8Array {
  const g = new GraphBuilder('gqa');
  const q = g.input('q', 'float32', [1, 1, H * D]);
  const k = g.input('k', 'float32', [1, 1, H * D]);
  const v = g.input('v', 'float32', [1, 1, H * D]);
  const pk = g.input('pk', 'float32', [1, H, 'p', D]);
  const pv = g.input('pv', 'float32', [1, H, 'p', D]);
  const seqlens = g.input('seqlens', 'int32', [1]);
  const total = g.input('total', 'int32', []);
  const [out = '', presentK = '', presentV = ''] = g.node(
    'GroupQueryAttention',
    [q, k, v, pk, pv, seqlens, total],
    { num_heads: H, kv_num_heads: H },
    { domain: MS_DOMAIN, outputs: 3 },
  );
  g.output('out', 'float32', [1, 1, H * D], out);
  if (!newRows) {
    g.output('present_k', 'float32', [1, H, 't', D], presentK);
    g.output('present_v', 'float32', [1, H, 't', D], presentV);
    return g.serialize().model;
  }
  const end = g.op('Unsqueeze', [g.op('Cast', [total], { to: 7 }), g.int64('axis0', [0])]);
  const start = g.op('Sub', [end, g.int64('one', [1])]);
  const axis = g.int64('axis2', [2]);
  g.output('new_k', 'float32', [1, H, 1, D], g.op('Slice', [presentK, start, end, axis]));
  g.output('new_v', 'float32', [1, H, 1, D], g.op('Slice', [presentV, start, end, axis]));
  return g.serialize().model;
}

/** The same one-query attention from standard ops: present = past ++ new, softmax(q·Kᵀ/√d)·V. */
function plain(): Uint8Array {
  const g = new GraphBuilder('plain');
  const q = g.input('q', 'float32', [1, 1, H * D]);
  const k = g.input('k', 'float32', [1, 1, H * D]);
  const v = g.input('v', 'float32', [1, 1, H * D]);
  const pk = g.input('pk', 'float32', [1, H, 'p', D]);
  const pv = g.input('pv', 'float32', [1, H, 'p', D]);
  g.input('seqlens', 'int32', [1]);
  g.input('total', 'int32', []);
  const split = g.int64('hs', [1, 1, H, D]);
  const heads = (x: string) => g.op('Transpose', [g.op('Reshape', [x, split])], { perm: [0, 2, 1, 3] });
  const presentK = g.op('Concat', [pk, heads(k)], { axis: 2 });
  const presentV = g.op('Concat', [pv, heads(v)], { axis: 2 });
  const scores = g.op('MatMul', [heads(q), g.op('Transpose', [presentK], { perm: [0, 1, 3, 2] })]);
  const scaled = g.op('Mul', [
    scores,
    g.initializer('scale', 'float32', [], Float32Array.of(1 / Math.sqrt(D))),
  ]);
  const attended = g.op('MatMul', [g.op('Softmax', [scaled], { axis: -1 }), presentV]);
  const out = g.op('Reshape', [
    g.op('Transpose', [attended], { perm: [0, 2, 1, 3] }),
    g.int64('os', [1, 1, H * D]),
  ]);
  g.output('out', 'float32', [1, 1, H * D], out);
  g.output('present_k', 'float32', [1, H, 't', D], presentK);
  g.output('present_v', 'float32', [1, H, 't', D], presentV);
  return g.serialize().model;
}

type Fetch =
  | 'all'
  | 'attention only'
  | 'into the past buffers'
  | 'new rows'
  | 'rewired, group-query'
  | 'rewired, two-part'
  | 'rewired, two-part, past at its length';

/**
 * Median ms of a run. 'attention only' leaves the present.* outputs inside the runtime; 'into the past
 * buffers' hands it one buffer of fixed capacity as both past and present (the kernel then writes the new
 * position in place).
 */
async function time(
  ort: Ort,
  ep: string,
  model: Uint8Array,
  fetch: Fetch,
  extra: object = {},
): Promise<number> {
  const rewiredRun = fetch.startsWith('rewired');
  const shared =
    (fetch === 'into the past buffers' || fetch === 'new rows' || rewiredRun) &&
    !fetch.endsWith('its length');
  const kv = rewiredRun ? KV : H;
  const session = await ort.InferenceSession.create(model, {
    ...extra,
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    logSeverityLevel: 3,
  });
  const f32 = (dims: number[]) =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => Math.sin(i) * 0.1),
      dims,
    );
  const C = Number(values.capacity);
  const pk = f32([1, kv, shared ? C : P, D]);
  const pv = f32([1, kv, shared ? C : P, D]);
  const int64 = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);
  const feeds: Record<string, unknown> = {
    q: f32([1, 1, H * D]),
    k: f32([1, 1, kv * D]),
    v: f32([1, 1, kv * D]),
    pk,
    pv,
    seqlens: new ort.Tensor('int32', Int32Array.of(P), [1]),
    total: new ort.Tensor('int32', Int32Array.of(P + 1), []),
  };
  if (rewiredRun) feeds[LOGITS_START] = int64([-1]);
  if (fetch === 'rewired, group-query') {
    feeds[KV_STARTS] = int64([0, 0, P, 0]);
    feeds[KV_ENDS] = int64([1, kv, P + 1, D]);
  }
  const run = () =>
    rewiredRun
      ? session.run(feeds as never, ['logits', 'new.0.key', 'new.0.value'])
      : fetch === 'all' || fetch === 'new rows'
        ? session.run(feeds as never)
        : session.run(
            feeds as never,
            fetch === 'attention only' ? ['out'] : { present_k: pk, present_v: pv },
          );
  await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

for (const backend of values.backends.split(',')) {
  const ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
  if (backend === 'wasm') ort.env.wasm.numThreads = threads;
  const label = `${backend} (${threads} threads), past ${P}:`;
  const cases: [string, Uint8Array, Fetch, object?][] = [
    ['GroupQueryAttention', gqa(), 'all'],
    ['GroupQueryAttention, present.* not fetched', gqa(), 'attention only'],
    ['GroupQueryAttention, present in the past buffers', gqa(), 'into the past buffers'],
    ['GroupQueryAttention, past of fixed capacity, only the new position fetched', gqa(true), 'new rows'],
    ['GroupQueryAttention, no memory arena', gqa(), 'all', { enableCpuMemArena: false }],
    ['standard ops (Concat, MatMul, Softmax)', plain(), 'all'],
    [
      `rewired static graph, GroupQueryAttention (kv heads ${KV})`,
      rewired('group-query'),
      'rewired, group-query',
    ],
    [`rewired static graph, two-part attention (kv heads ${KV})`, rewired('two-part'), 'rewired, two-part'],
    [
      `rewired static graph, two-part attention, past at its length (kv heads ${KV})`,
      rewired('two-part'),
      'rewired, two-part, past at its length',
    ],
  ];
  for (const [name, model, fetch, extra] of cases) {
    try {
      console.log(`${label} ${name}: ${(await time(ort, backend, model, fetch, extra)).toFixed(3)} ms`);
    } catch (err) {
      console.log(`${label} ${name}: failed, ${err instanceof Error ? err.message : err}`);
    }
  }
}
