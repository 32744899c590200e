// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { type WireNode, wireModel } from '../runtime/onnx-wire';
import { withLastRows } from './static-rows-graph';

const VOCAB = 5;

/**
 * The static decoder's tail as llama-graph.ts writes it: `logits/last` slices the last position from a
 * constant start, lm_head (here an Identity), the logits output and next_token, their argmax as int32.
 */
function tail(sliceName = 'logits/last'): Uint8Array {
  const nodes: WireNode[] = [
    { opType: 'Constant', inputs: [], outputs: ['start'], attributes: { value_ints: [-1] } },
    {
      opType: 'Constant',
      inputs: [],
      outputs: ['end'],
      attributes: { value_ints: [Number.MAX_SAFE_INTEGER] },
    },
    { opType: 'Constant', inputs: [], outputs: ['axes'], attributes: { value_ints: [1] } },
    { opType: 'Slice', inputs: ['normed', 'start', 'end', 'axes'], outputs: ['last'], name: sliceName },
    { opType: 'Identity', inputs: ['last'], outputs: ['logits'] },
    { opType: 'ArgMax', inputs: ['last'], outputs: ['best'], attributes: { axis: -1, keepdims: 0 } },
    { opType: 'Cast', inputs: ['best'], outputs: ['next_token'], attributes: { to: 6 } },
  ];
  return wireModel(
    'tail',
    nodes,
    [{ name: 'normed', type: 'float32', dims: ['batch_size', 'positions', VOCAB] }],
    [
      { name: 'logits', type: 'float32', dims: ['batch_size', 1, VOCAB] },
      { name: 'next_token', type: 'int32', dims: ['batch_size', 1] },
    ],
  );
}

/** Position p's largest value is at (2p + 1) mod VOCAB. */
function positions(count: number): Float32Array {
  return Float32Array.from({ length: count * VOCAB }, (_, i) =>
    i % VOCAB === (2 * Math.floor(i / VOCAB) + 1) % VOCAB ? 1 : 0,
  );
}

async function run(model: Uint8Array, count: number): Promise<{ logits: number[]; next: number[] }> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ normed: new ort.Tensor('float32', positions(count), [1, count, VOCAB]) });
    return {
      logits: out.logits?.dims.slice() ?? [],
      next: Array.from(out.next_token?.data as Int32Array),
    };
  } finally {
    await session.release();
  }
}

describe('withLastRows', () => {
  it("gives lm_head's rows and next_token for the last positions of a run, all of a shorter one", async () => {
    expect(await run(tail(), 6)).toEqual({ logits: [1, 1, VOCAB], next: [1] });
    const three = withLastRows(tail(), 3);
    expect(await run(three, 6)).toEqual({ logits: [1, 3, VOCAB], next: [2, 4, 1] });
    expect(await run(three, 2)).toEqual({ logits: [1, 2, VOCAB], next: [1, 3] });
  });

  it('refuses a graph without the logits/last Slice, saying so', () => {
    expect(() => withLastRows(tail('other'), 3)).toThrow('not a static decoder with a logits/last Slice');
    expect(() => withLastRows(tail(), 0)).toThrow('0 is not a number of rows');
  });
});
