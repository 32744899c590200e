/**
 * The two-part attention (the rewired static decoder's GroupQueryAttention replaced) against attention
 * computed here in plain TypeScript from its definition, and against onnxruntime's GroupQueryAttention in
 * the same graph: grouped heads, rotary (halves and interleaved), several new positions, a past shorter
 * than its buffer.
 */
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type WireAttribute, type WireNode, wireModel } from '../runtime/onnx-wire';
import type { CpuAttentionKind } from '../types';
import { cpuStaticGraph, KV_ENDS, KV_STARTS, LOGITS_START } from './cpu-static-graph';

interface Case {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Positions already in the cache. */
  readonly past: number;
  /** The past buffers' length (≥ past). */
  readonly capacity: number;
  /** Positions the run adds. */
  readonly count: number;
  readonly rotary?: { readonly interleaved: 0 | 1 };
  readonly scale?: number;
}

const MAX_POSITIONS = 64;

/** A graph of the static decoder's layout around one GroupQueryAttention node: its output is the "logits". */
function attentionModel(c: Case, extra: Readonly<Record<string, WireAttribute>> = {}): Uint8Array {
  const hq = c.heads * c.headDim;
  const hkv = c.kvHeads * c.headDim;
  const half = c.headDim / 2;
  const nodes: WireNode[] = [
    {
      opType: 'GroupQueryAttention',
      domain: 'com.microsoft',
      name: 'layer0/attention',
      inputs: [
        'q',
        'k',
        'v',
        'past_key_values.0.key',
        'past_key_values.0.value',
        'seqlens_k',
        'total_sequence_length',
        ...(c.rotary ? ['cos_cache', 'sin_cache'] : []),
      ],
      outputs: ['attended', 'present_key', 'present_value'],
      attributes: {
        num_heads: c.heads,
        kv_num_heads: c.kvHeads,
        ...(c.rotary ? { do_rotary: 1, rotary_interleaved: c.rotary.interleaved } : {}),
        ...(c.scale === undefined ? {} : { scale: { float: c.scale } }),
        ...extra,
      },
    },
    { opType: 'Identity', inputs: ['present_key'], outputs: ['present.0.key'] },
    { opType: 'Identity', inputs: ['present_value'], outputs: ['present.0.value'] },
    { opType: 'Constant', inputs: [], outputs: ['last.start'], attributes: { value_ints: [-1] } },
    { opType: 'Constant', inputs: [], outputs: ['last.end'], attributes: { value_ints: [1 << 30] } },
    { opType: 'Constant', inputs: [], outputs: ['last.axes'], attributes: { value_ints: [1] } },
    {
      opType: 'Slice',
      name: 'logits/last',
      inputs: ['attended', 'last.start', 'last.end', 'last.axes'],
      outputs: ['logits'],
    },
    { opType: 'ArgMax', inputs: ['logits'], outputs: ['best'], attributes: { axis: -1, keepdims: 0 } },
    { opType: 'Cast', inputs: ['best'], outputs: ['next_token'], attributes: { to: 6 } },
  ];
  return wireModel(
    'attention',
    nodes,
    [
      { name: 'q', type: 'float32', dims: [1, 'S', hq] },
      { name: 'k', type: 'float32', dims: [1, 'S', hkv] },
      { name: 'v', type: 'float32', dims: [1, 'S', hkv] },
      { name: 'past_key_values.0.key', type: 'float32', dims: [1, c.kvHeads, 'capacity', c.headDim] },
      { name: 'past_key_values.0.value', type: 'float32', dims: [1, c.kvHeads, 'capacity', c.headDim] },
      { name: 'seqlens_k', type: 'int32', dims: [1] },
      { name: 'total_sequence_length', type: 'int32', dims: [] },
      ...(c.rotary
        ? ([
            { name: 'cos_cache', type: 'float32', dims: [MAX_POSITIONS, half] },
            { name: 'sin_cache', type: 'float32', dims: [MAX_POSITIONS, half] },
          ] as const)
        : []),
    ],
    [
      { name: 'logits', type: 'float32', dims: [1, 'rows', hq] },
      { name: 'next_token', type: 'int32', dims: [1, 'rows'] },
      { name: 'present.0.key', type: 'float32', dims: [1, c.kvHeads, 'capacity', c.headDim] },
      { name: 'present.0.value', type: 'float32', dims: [1, c.kvHeads, 'capacity', c.headDim] },
    ],
  );
}

function values(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin((i + 1) * 0.731 + seed * 1.37) * 0.9);
}

function ropeCaches(headDim: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(MAX_POSITIONS * half);
  const sin = new Float32Array(MAX_POSITIONS * half);
  for (let p = 0; p < MAX_POSITIONS; p++)
    for (let i = 0; i < half; i++) {
      const angle = p / 10000 ** ((2 * i) / headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

interface Inputs {
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  /** [kvHeads, capacity, headDim]; only the first `past` positions of each head are valid. */
  readonly pastKey: Float32Array;
  readonly pastValue: Float32Array;
}

function inputs(c: Case): Inputs {
  // Past the valid length the buffers hold leftovers (a rewound draft): large, so any leak shows.
  const past = (seed: number) => {
    const data = values(c.kvHeads * c.capacity * c.headDim, seed);
    for (let h = 0; h < c.kvHeads; h++)
      data.fill(50, (h * c.capacity + c.past) * c.headDim, (h + 1) * c.capacity * c.headDim);
    return data;
  };
  return {
    q: values(c.count * c.heads * c.headDim, 1),
    k: values(c.count * c.kvHeads * c.headDim, 2),
    v: values(c.count * c.kvHeads * c.headDim, 3),
    pastKey: past(4),
    pastValue: past(5),
  };
}

/** One head's vector of `x` ([S, heads × D]) at position row `s`, rotated to absolute position `p`. */
function rotated(c: Case, x: Float32Array, heads: number, s: number, head: number, p: number): Float64Array {
  const d = c.headDim;
  const out = Float64Array.from(x.subarray((s * heads + head) * d, (s * heads + head + 1) * d));
  if (!c.rotary) return out;
  const { cos, sin } = ropeCaches(d);
  const half = d / 2;
  const src = Float64Array.from(out);
  for (let i = 0; i < half; i++) {
    const [a, b] = c.rotary.interleaved ? [2 * i, 2 * i + 1] : [i, i + half];
    const cs = cos[p * half + i] ?? 0;
    const sn = sin[p * half + i] ?? 0;
    out[a] = (src[a] ?? 0) * cs - (src[b] ?? 0) * sn;
    out[b] = (src[b] ?? 0) * cs + (src[a] ?? 0) * sn;
  }
  return out;
}

/** Attention from its definition: [S, heads × D] and the new rows [kvHeads, S, D] after rotary. */
function reference(c: Case, x: Inputs): { out: Float64Array; newKey: Float64Array; newValue: Float64Array } {
  const { heads, kvHeads, headDim: d, past, capacity, count } = c;
  const scale = c.scale ?? 1 / Math.sqrt(d);
  const newKey = new Float64Array(kvHeads * count * d);
  const newValue = new Float64Array(kvHeads * count * d);
  for (let h = 0; h < kvHeads; h++)
    for (let s = 0; s < count; s++) {
      newKey.set(rotated(c, x.k, kvHeads, s, h, past + s), (h * count + s) * d);
      newValue.set(x.v.subarray((s * kvHeads + h) * d, (s * kvHeads + h + 1) * d), (h * count + s) * d);
    }
  const out = new Float64Array(count * heads * d);
  for (let s = 0; s < count; s++)
    for (let head = 0; head < heads; head++) {
      const kv = Math.floor(head / (heads / kvHeads));
      const q = rotated(c, x.q, heads, s, head, past + s);
      const keys: Float64Array[] = [];
      const vals: Float64Array[] = [];
      for (let t = 0; t < past; t++) {
        const at = (kv * capacity + t) * d;
        keys.push(Float64Array.from(x.pastKey.subarray(at, at + d)));
        vals.push(Float64Array.from(x.pastValue.subarray(at, at + d)));
      }
      for (let t = 0; t <= s; t++) {
        keys.push(newKey.subarray((kv * count + t) * d, (kv * count + t + 1) * d));
        vals.push(newValue.subarray((kv * count + t) * d, (kv * count + t + 1) * d));
      }
      const scores = keys.map((key) => scale * key.reduce((sum, value, i) => sum + value * (q[i] ?? 0), 0));
      const max = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - max));
      const total = weights.reduce((a, b) => a + b, 0);
      for (let i = 0; i < d; i++)
        out[(s * heads + head) * d + i] = weights.reduce(
          (sum, w, t) => sum + (w / total) * (vals[t]?.[i] ?? 0),
          0,
        );
    }
  return { out, newKey, newValue };
}

async function run(c: Case, attention: CpuAttentionKind, x: Inputs) {
  const rewired = cpuStaticGraph(attentionModel(c), { attention });
  expect(rewired.attention).toBe(attention);
  const session = await ort.InferenceSession.create(rewired.bytes, { logSeverityLevel: 3 });
  const end = c.past + c.count;
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  const int64 = (data: number[]) => new ort.Tensor('int64', BigInt64Array.from(data, BigInt), [data.length]);
  const feeds: Record<string, ort.Tensor> = {
    q: f32(x.q, [1, c.count, c.heads * c.headDim]),
    k: f32(x.k, [1, c.count, c.kvHeads * c.headDim]),
    v: f32(x.v, [1, c.count, c.kvHeads * c.headDim]),
    'past_key_values.0.key': f32(x.pastKey, [1, c.kvHeads, c.capacity, c.headDim]),
    'past_key_values.0.value': f32(x.pastValue, [1, c.kvHeads, c.capacity, c.headDim]),
    seqlens_k: new ort.Tensor('int32', Int32Array.of(end - 1), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(end), []),
    [LOGITS_START]: int64([-c.count]),
  };
  if (c.rotary) {
    const { cos, sin } = ropeCaches(c.headDim);
    feeds.cos_cache = f32(cos, [MAX_POSITIONS, c.headDim / 2]);
    feeds.sin_cache = f32(sin, [MAX_POSITIONS, c.headDim / 2]);
  }
  if (attention === 'group-query') {
    feeds[KV_STARTS] = int64([0, 0, c.past, 0]);
    feeds[KV_ENDS] = int64([1, c.kvHeads, end, c.headDim]);
  }
  const outputs = await session.run(feeds, ['logits', 'new.0.key', 'new.0.value']);
  await session.release();
  const data = (name: string) => {
    const d = outputs[name]?.data;
    if (!(d instanceof Float32Array)) throw new Error(`no ${name}`);
    return d;
  };
  return { out: data('logits'), newKey: data('new.0.key'), newValue: data('new.0.value') };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return diff;
}

const CASES: readonly [string, Case][] = [
  [
    'one step, grouped heads, past shorter than its buffer',
    { heads: 8, kvHeads: 2, headDim: 16, past: 13, capacity: 32, count: 1 },
  ],
  [
    'several new positions (a chunk, drafts) after a past',
    { heads: 8, kvHeads: 2, headDim: 16, past: 9, capacity: 24, count: 5 },
  ],
  [
    'a prefill: no past, buffer of fixed capacity',
    { heads: 4, kvHeads: 4, headDim: 8, past: 0, capacity: 16, count: 7 },
  ],
  [
    'a prefill handed an empty past (the cpu backend compacts the past of long runs)',
    { heads: 4, kvHeads: 2, headDim: 8, past: 0, capacity: 0, count: 6 },
  ],
  [
    'rotary in the attention (do_rotary), halves',
    { heads: 6, kvHeads: 2, headDim: 16, past: 11, capacity: 32, count: 3, rotary: { interleaved: 0 } },
  ],
  [
    'rotary interleaved, one KV head, a given scale',
    {
      heads: 4,
      kvHeads: 1,
      headDim: 16,
      past: 20,
      capacity: 20,
      count: 2,
      rotary: { interleaved: 1 },
      scale: 0.3,
    },
  ],
];

describe('the two-part attention', () => {
  it.each(CASES)('equals attention from its definition: %s', async (_, c) => {
    const x = inputs(c);
    const want = reference(c, x);
    for (const attention of ['two-part', 'group-query'] as const) {
      const got = await run(c, attention, x);
      expect(maxDiff(got.out, want.out), `${attention} output`).toBeLessThan(1e-5);
      expect(maxDiff(got.newKey, want.newKey), `${attention} new keys`).toBeLessThan(1e-5);
      expect(maxDiff(got.newValue, want.newValue), `${attention} new values`).toBeLessThan(1e-5);
    }
  });

  it('keeps GroupQueryAttention, and says why, for what it does not compute', () => {
    const c: Case = { heads: 4, kvHeads: 2, headDim: 8, past: 4, capacity: 8, count: 1 };
    expect(
      cpuStaticGraph(attentionModel(c, { local_window_size: 16 }), { attention: 'two-part' }),
    ).toMatchObject({
      attention: 'group-query',
      fallback: expect.stringContaining('local_window_size'),
    });
    expect(
      cpuStaticGraph(attentionModel(c, { softcap: { float: 30 } }), { attention: 'two-part' }),
    ).toMatchObject({
      attention: 'group-query',
      fallback: expect.stringContaining('softcap'),
    });
    expect(
      cpuStaticGraph(attentionModel(c, { local_window_size: -1, softcap: { float: 0 } }), {
        attention: 'two-part',
      }),
    ).toMatchObject({
      attention: 'two-part',
    });
    expect(cpuStaticGraph(attentionModel(c), { attention: 'group-query' })).toEqual(
      expect.not.objectContaining({ fallback: expect.anything() }),
    );
  });
});
