// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { wireModel } from '../runtime/onnx-wire';
import { ARGMAX, LAST_LOGITS, withLogitsOutputs } from './logits-outputs-graph';

const VOCAB = 7;

/** A stand-in for a decoder's tail: `logits` = hidden · 1 (Identity), optionally with num_logits_to_keep. */
function tailModel(keepsLogits: boolean): Uint8Array {
  return wireModel(
    'tail',
    [{ opType: 'Identity', inputs: ['hidden'], outputs: ['logits'] }],
    [
      { name: 'hidden', type: 'float32', dims: ['batch_size', 'positions', VOCAB] },
      ...(keepsLogits ? [{ name: 'num_logits_to_keep', type: 'int64' as const, dims: [] }] : []),
    ],
    [{ name: 'logits', type: 'float32', dims: ['batch_size', 'positions', VOCAB] }],
  );
}

/** Rows whose argmax is known and differs between positions (one has its largest value last). */
function rows(positions: number): Float32Array {
  const data = new Float32Array(positions * VOCAB);
  for (let p = 0; p < positions; p++) {
    for (let v = 0; v < VOCAB; v++)
      data[p * VOCAB + v] = Math.sin(p * 3.1 + v * 1.7) + (v === (p * 3) % VOCAB ? 5 : 0);
  }
  return data;
}

describe('withLogitsOutputs', () => {
  it("adds every position's argmax and the last row, which onnxruntime computes from logits", async () => {
    const bytes = withLogitsOutputs(tailModel(false));
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    expect(session.outputNames).toEqual(['logits', ARGMAX, LAST_LOGITS]);
    const data = rows(4);
    const result = await session.run({ hidden: new ort.Tensor('float32', data, [1, 4, VOCAB]) });
    expect(result[ARGMAX]?.dims).toEqual([1, 4]);
    expect(Array.from(result[ARGMAX]?.data as BigInt64Array, Number)).toEqual([0, 3, 6, 2]);
    expect(result[LAST_LOGITS]?.dims).toEqual([1, 1, VOCAB]);
    expect(result[LAST_LOGITS]?.data).toEqual(data.slice(3 * VOCAB));
    // The graph's own output is untouched.
    expect(result.logits?.data).toEqual(data);
    await session.release();
  });

  it('adds only the argmax where num_logits_to_keep already trims the logits', async () => {
    const bytes = withLogitsOutputs(tailModel(true));
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    expect(session.outputNames).toEqual(['logits', ARGMAX]);
    await session.release();
  });

  it('refuses, saying why, a graph without float logits of three axes', () => {
    const noLogits = wireModel(
      'x',
      [{ opType: 'Identity', inputs: ['a'], outputs: ['b'] }],
      [{ name: 'a', type: 'float32', dims: [1] }],
      [{ name: 'b', type: 'float32', dims: [1] }],
    );
    expect(() => withLogitsOutputs(noLogits)).toThrow('the graph has no logits output');
    const flat = wireModel(
      'x',
      [{ opType: 'Identity', inputs: ['a'], outputs: ['logits'] }],
      [{ name: 'a', type: 'float32', dims: [1, VOCAB] }],
      [{ name: 'logits', type: 'float32', dims: [1, VOCAB] }],
    );
    expect(() => withLogitsOutputs(flat)).toThrow('not a 3-D float32 or float16 tensor');
    const twice = withLogitsOutputs(tailModel(true));
    expect(() => withLogitsOutputs(twice)).toThrow(`already has a value ${ARGMAX}`);
  });
});
