/**
 * A check, at load, that the backend's GroupQueryAttention kernel is right for long runs of new positions.
 *
 * onnxruntime 1.30's WebGPU GroupQueryAttention answers wrongly when one run brings 32 or more new positions
 * (a prefill) on an adapter whose subgroups are narrower than its kernel assumes (SwiftShader's, 4 wide),
 * while runs of up to 31 are right at any past length. The engine's runtimes hide such subgroups from
 * onnxruntime-web (narrow-subgroups.ts), which fixes it there; onnxruntime-node's WebGPU provider makes its
 * own device, and other adapters may be wrong in other ways. So the engine asks the adapter itself: it runs
 * one small attention of 64 new positions and compares it with the same attention computed here in plain
 * arithmetic. Where they differ, prefills are run in chunks that the check found right, through the KV
 * cache, which gives the same logits as one run. Chunks cost time: a 211-position prefill of tiny-llava on
 * SwiftShader took 9.7 s in chunks of 16 against 2.3 s in one (wrong) run.
 */
import { wireModel } from './onnx-wire';
import type { Backend, Ort } from './ort';
import { createSession } from './session';
import { createFloatTensor, type FloatType, readFloats } from './tensors';

export interface AttentionShape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly type: FloatType;
}

/**
 * Positions per run tried, longest first; the first one the kernel gets right is the limit. 31 is where the
 * fault begins on SwiftShader (32 is wrong): fewer chunks, each checked here like the others.
 */
const PROBE_LENGTHS = [64, 31, 16, 1] as const;

/** Largest difference from the reference that is still rounding: fp16 keeps about three digits. */
const TOLERANCE: Readonly<Record<FloatType, number>> = { float32: 1e-3, float16: 2e-2 };

function attentionModel({ heads, kvHeads, headDim, type }: AttentionShape): Uint8Array {
  const io = (name: string, width: number) => ({ name, type, dims: [1, 'length', width] });
  const past = (name: string) => ({ name, type, dims: [1, kvHeads, 0, headDim] });
  return wireModel(
    'attention_check',
    [
      {
        opType: 'GroupQueryAttention',
        domain: 'com.microsoft',
        inputs: ['q', 'k', 'v', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length'],
        outputs: ['out', 'present_key', 'present_value'],
        attributes: { num_heads: heads, kv_num_heads: kvHeads },
      },
    ],
    [
      io('q', heads * headDim),
      io('k', kvHeads * headDim),
      io('v', kvHeads * headDim),
      past('past_key'),
      past('past_value'),
      { name: 'seqlens_k', type: 'int32', dims: [1] },
      { name: 'total_sequence_length', type: 'int32', dims: [] },
    ],
    [io('out', heads * headDim)],
  );
}

/** Deterministic values in [-amplitude, amplitude] that are not periodic over a row. */
function pattern(length: number, seed: number, amplitude: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin(i * 0.731 + seed * 1.37));
}

/** Causal softmax attention, each query head reading the KV head of its group, in float64. */
export function referenceAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  length: number,
  { heads, kvHeads, headDim }: Omit<AttentionShape, 'type'>,
): Float32Array {
  const out = new Float32Array(length * heads * headDim);
  const scale = 1 / Math.sqrt(headDim);
  const group = heads / kvHeads;
  const scores = new Float64Array(length);
  for (let h = 0; h < heads; h++) {
    const kvHead = Math.floor(h / group);
    for (let t = 0; t < length; t++) {
      const qRow = (t * heads + h) * headDim;
      let max = Number.NEGATIVE_INFINITY;
      for (let u = 0; u <= t; u++) {
        const kRow = (u * kvHeads + kvHead) * headDim;
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += (q[qRow + i] ?? 0) * (k[kRow + i] ?? 0);
        scores[u] = dot * scale;
        max = Math.max(max, dot * scale);
      }
      let sum = 0;
      for (let u = 0; u <= t; u++) {
        const e = Math.exp((scores[u] ?? 0) - max);
        scores[u] = e;
        sum += e;
      }
      for (let i = 0; i < headDim; i++) {
        let acc = 0;
        for (let u = 0; u <= t; u++)
          acc += ((scores[u] ?? 0) / sum) * (v[(u * kvHeads + kvHead) * headDim + i] ?? 0);
        out[qRow + i] = acc;
      }
    }
  }
  return out;
}

/** The largest difference between the backend's attention over `length` new positions and the reference. */
type ErrorAt = (length: number) => Promise<number>;

/** Runs `use` with one session of the attention model, which it may time over several lengths. */
async function withAttention<T>(
  ort: Ort,
  backend: Backend,
  shape: AttentionShape,
  use: (errorAt: ErrorAt) => Promise<T>,
): Promise<T> {
  const session = await createSession(ort, backend, {
    file: 'attention-check (built in)',
    bytes: attentionModel(shape),
    externalData: [],
  });
  const errorAt: ErrorAt = async (length) => {
    const { heads, kvHeads, headDim, type } = shape;
    const q = pattern(length * heads * headDim, 1, 0.5);
    const k = pattern(length * kvHeads * headDim, 2, 0.5);
    const v = pattern(length * kvHeads * headDim, 3, 1);
    const feeds = {
      q: createFloatTensor(ort, type, q, [1, length, heads * headDim]),
      k: createFloatTensor(ort, type, k, [1, length, kvHeads * headDim]),
      v: createFloatTensor(ort, type, v, [1, length, kvHeads * headDim]),
      past_key: createFloatTensor(ort, type, new Float32Array(0), [1, kvHeads, 0, headDim]),
      past_value: createFloatTensor(ort, type, new Float32Array(0), [1, kvHeads, 0, headDim]),
      seqlens_k: new ort.Tensor('int32', Int32Array.of(length - 1), [1]),
      total_sequence_length: new ort.Tensor('int32', Int32Array.of(length), []),
    };
    const outputs = await session.run(feeds, ['out']);
    const out = outputs.out;
    if (!out) throw new Error('The attention check returned nothing.');
    const got = await readFloats(out);
    for (const tensor of [...Object.values(feeds), ...Object.values(outputs)]) tensor.dispose();
    const want = referenceAttention(q, k, v, length, shape);
    let error = 0;
    for (let i = 0; i < want.length; i++)
      error = Math.max(error, Math.abs((got[i] ?? Number.NaN) - (want[i] ?? 0)));
    return Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  };
  try {
    return await use(errorAt);
  } finally {
    await session.release();
  }
}

/** The largest difference from the reference at each of `lengths` new positions. */
export function attentionError(
  ort: Ort,
  backend: Backend,
  shape: AttentionShape,
  lengths: readonly number[],
): Promise<number[]> {
  return withAttention(ort, backend, shape, async (errorAt) => {
    const errors: number[] = [];
    for (const length of lengths) errors.push(await errorAt(length));
    return errors;
  });
}

/**
 * The most new positions one decoder run may take on this backend, or undefined when runs of any length
 * are right. Only WebGPU is checked: the CPU kernels are the reference the WebGPU results are compared with
 * in the tests, and they need no chunking.
 */
export async function attentionRunLimit(
  ort: Ort,
  backend: Backend,
  shape: AttentionShape,
): Promise<number | undefined> {
  if (backend !== 'webgpu') return undefined;
  // Longest first, stopping at the first right one: each new length can cost the adapter a shader compile
  // (seconds each on SwiftShader), and a GPU whose kernel is right runs one.
  return withAttention(ort, backend, shape, async (errorAt) => {
    for (const [i, length] of PROBE_LENGTHS.entries()) {
      if ((await errorAt(length)) <= TOLERANCE[shape.type]) return i === 0 ? undefined : length;
    }
    return 1;
  });
}
