/**
 * The logits output given a kernel of its own: the values stay the graph's, and the node is still there
 * once onnxruntime has optimised the graph, where before only an Identity was left (which the WebGPU
 * provider runs as a buffer copy that a replayed graph leaves out). The optimisations checked are the
 * provider-independent ones onnxruntime applies on every provider, WebGPU's included; the replay itself
 * is checked on Dawn (tools/testing/captured-decode.test.ts).
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GRAPH_NODE, readModelGraph } from '../runtime/onnx-graph';
import { type ReadNode, readNode } from '../runtime/onnx-read';
import { type WireNode, wireModel } from '../runtime/onnx-wire';
import { withOwnLogitsNode } from './captured-logits-graph';

const HIDDEN = 3;
const VOCAB = 5;
const WEIGHT = Float32Array.from({ length: HIDDEN * VOCAB }, (_, i) => ((i * 7) % 11) - 5);

/**
 * The static decoder's tail: lm_head (a MatMul) read by next_token's ArgMax, and the logits output named
 * as the toolkit names it now (an Identity) or as it did (an Add of 0, then the Identity).
 */
function tail(copy: 'identity' | 'add-zero'): Uint8Array {
  const lmHead = copy === 'add-zero' ? 'lm_head' : 'row';
  const nodes: WireNode[] = [
    { opType: 'MatMul', inputs: ['normed', 'lm_head.weight'], outputs: [lmHead], name: 'lm_head' },
    ...(copy === 'add-zero'
      ? [{ opType: 'Add', inputs: ['lm_head', 'zero'], outputs: ['row'], name: 'logits/copy' }]
      : []),
    { opType: 'Identity', inputs: ['row'], outputs: ['logits'], name: 'logits' },
    { opType: 'ArgMax', inputs: [lmHead], outputs: ['best'], attributes: { axis: -1, keepdims: 0 } },
    { opType: 'Cast', inputs: ['best'], outputs: ['next_token'], attributes: { to: 6 } },
  ];
  return wireModel(
    'tail',
    nodes,
    [{ name: 'normed', type: 'float32', dims: [1, 1, HIDDEN] }],
    [
      { name: 'logits', type: 'float32', dims: [1, 1, VOCAB] },
      { name: 'next_token', type: 'int32', dims: [1, 1] },
    ],
    [
      { name: 'lm_head.weight', type: 'float32', dims: [HIDDEN, VOCAB], data: bytesOf(WEIGHT) },
      { name: 'zero', type: 'float32', dims: [], data: bytesOf(new Float32Array(1)) },
    ],
  );
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function nodesOf(model: Uint8Array): ReadNode[] {
  return readModelGraph(model)
    .fields.filter((f) => f.number === GRAPH_NODE && f.body)
    .map((f) => readNode(f.body ?? new Uint8Array()));
}

async function run(model: Uint8Array): Promise<{ logits: number[]; next: number[] }> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const normed = new ort.Tensor('float32', Float32Array.from([0.5, -1, 2]), [1, 1, HIDDEN]);
    const out = await session.run({ normed });
    return {
      logits: Array.from(out.logits?.data as Float32Array),
      next: Array.from(out.next_token?.data as Int32Array),
    };
  } finally {
    await session.release();
  }
}

/** The graph as onnxruntime runs it, after its optimisations at the level the engine asks for. */
async function optimised(model: Uint8Array): Promise<ReadNode[]> {
  const dir = await mkdtemp(join(tmpdir(), 'glimpse-logits-'));
  try {
    const path = join(dir, 'optimised.onnx');
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: path,
      // Errors only: writing an optimised model draws warnings meant for deployment.
      logSeverityLevel: 3,
    });
    await session.release();
    return nodesOf(await readFile(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The node that computes `logits` as onnxruntime runs the graph, and how many nodes read that value. */
async function logitsNode(model: Uint8Array): Promise<{ op: string | undefined; readers: number }> {
  const nodes = await optimised(model);
  const producer = nodes.find((node) => node.outputs.includes('logits'));
  return {
    op: producer?.opType,
    readers: nodes.filter((node) => node.inputs.includes('logits')).length,
  };
}

describe('withOwnLogitsNode', () => {
  it.each(['identity', 'add-zero'] as const)(
    'gives the logits of the %s form a Max that onnxruntime keeps, with the same values',
    async (copy) => {
      const before = tail(copy);
      const after = withOwnLogitsNode(readModelGraph(before)).bytes();
      // The Add of 0 is gone once optimised; an Identity names lm_head's output, which ArgMax reads.
      expect(await logitsNode(before)).toEqual({ op: 'Identity', readers: 0 });
      expect(await logitsNode(after)).toEqual({ op: 'Max', readers: 0 });
      const expected = await run(before);
      expect(expected.next).toEqual([expected.logits.indexOf(Math.max(...expected.logits))]);
      expect(await run(after)).toEqual(expected);
    },
  );

  it('adds nothing to a graph that has the node', () => {
    const once = withOwnLogitsNode(readModelGraph(tail('identity')));
    const twice = withOwnLogitsNode(once);
    expect(twice).toBe(once);
    expect(nodesOf(twice.bytes()).filter((node) => node.opType === 'Max')).toHaveLength(1);
  });

  it('says what is missing from a graph without logits', () => {
    const graph = wireModel(
      'no-logits',
      [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      [{ name: 'x', type: 'float32', dims: [1] }],
      [{ name: 'y', type: 'float32', dims: [1] }],
    );
    expect(() => withOwnLogitsNode(readModelGraph(graph))).toThrow('no node computes the logits output');
  });
});
