/**
 * The load-time packing of q, k and v (src/engine/decoder/packed-qkv-graph.ts) on the toolkit's graphs at
 * a Qwen2-like layout (biases; random-decoder.ts): the merged decoder (RotaryEmbedding apart, so a Split
 * follows the packed projection) and the static step (rotary inside GroupQueryAttention, so the attention
 * takes the packed projection), in fp32 and q4.
 * - the packed graph computes the same logits and presents as the graph as built, on onnxruntime-web's wasm
 *   and, where SwiftShader is present, on its WebGPU provider over Dawn, where it also dispatches fewer
 *   kernels (counted below onnxruntime, dawn-kernels.ts);
 * - graphs it cannot pack come back as they were, with the reason, and graphs without
 *   GroupQueryAttention (the Hub's layout) untouched.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { ARGMAX, addLogitsOutputs } from '../../src/engine/decoder/logits-outputs-graph';
import { packQkv, withPackedQkv } from '../../src/engine/decoder/packed-qkv-graph';
import { readModelGraph } from '../../src/engine/runtime/onnx-graph';
import { wireModel } from '../../src/engine/runtime/onnx-wire';
import { buildLlamaDecoder } from '../../src/toolkit/decoder/llama-graph';
import { opCounts } from '../profile/op-counts';
import {
  CONFIG,
  DATA_FILE,
  type DecoderDtype,
  type DecoderKind,
  feeds,
  randomDecoder,
  randomDecoderFiles,
  randomQwen2Weights,
} from './random-decoder';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const GRAPHS: readonly [DecoderKind, DecoderDtype][] = [
  ['static', 'q4'],
  ['static', 'fp32'],
  ['merged', 'q4'],
  ['merged', 'fp32'],
];
/** The half-precision linears, each between two Casts of its own; SwiftShader has no shader-f16. */
const HALF_GRAPHS: readonly [DecoderKind, DecoderDtype][] = [
  ['static', 'q4f16'],
  ['merged', 'q4f16'],
  ['static', 'fp16'],
];

async function outputs(
  model: Uint8Array,
  kind: DecoderKind,
  externalData?: Uint8Array,
): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    ...(externalData ? { externalData: [{ path: DATA_FILE, data: externalData }] } : {}),
  });
  try {
    const input = Object.fromEntries(
      Object.entries(feeds(kind, 6)).map(([name, f]) => [name, new ort.Tensor(f.type, f.data, [...f.dims])]),
    );
    const out = await session.run(input);
    return Object.fromEntries(
      Object.entries(out).map(([name, t]) => [
        name,
        Array.from(t.data as ArrayLike<number | bigint>, Number),
      ]),
    );
  } finally {
    await session.release();
  }
}

describe('withPackedQkv', () => {
  it.each([...GRAPHS, ...HALF_GRAPHS])(
    'packs every layer of the %s decoder (%s), with the same outputs on wasm',
    async (kind, dtype) => {
      const model = randomDecoder(kind, dtype);
      const { model: packed, packed: layers, skipped } = withPackedQkv(model);
      expect({ layers, skipped }).toEqual({ layers: CONFIG.numLayers, skipped: [] });
      const linear = dtype.startsWith('q4') ? 'MatMulNBits' : 'MatMul';
      const [before, after] = [opCounts(model), opCounts(packed)];
      const fewer = (op: string) => (before.get(op) ?? 0) - (after.get(op) ?? 0);
      expect(fewer(linear)).toBe(2 * CONFIG.numLayers);
      // Three bias Adds become one, and so do the half-precision linears' Casts on each side.
      expect(fewer('Add')).toBe(2 * CONFIG.numLayers);
      expect(fewer('Cast')).toBe(HALF_GRAPHS.some(([, d]) => d === dtype) ? 4 * CONFIG.numLayers : 0);
      expect(after.get('Split') ?? 0).toBe(kind === 'merged' ? CONFIG.numLayers : 0);
      const [expected, actual] = [await outputs(model, kind), await outputs(packed, kind)];
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, values] of Object.entries(expected)) {
        const other = actual[name] ?? [];
        expect(other.length, name).toBe(values.length);
        const worst = values.reduce((max, v, i) => Math.max(max, Math.abs(v - (other[i] ?? Number.NaN))), 0);
        expect(worst, name).toBeLessThan(1e-5);
      }
    },
  );

  it("takes a further rewrite before the graph is copied out: packed, then the merged decoder's argmax", async () => {
    const model = randomDecoder('merged', 'q4');
    const packed = packQkv(readModelGraph(model));
    const chained = addLogitsOutputs(packed.graph).bytes();
    expect(packed.packed).toBe(CONFIG.numLayers);
    expect(opCounts(chained).get('ArgMax')).toBe(1);
    expect(opCounts(chained).get('Split')).toBe(CONFIG.numLayers);
    const out = await outputs(chained, 'merged');
    const expected = await outputs(model, 'merged');
    expect(out.logits).toEqual(expected.logits);
    const vocab = CONFIG.vocabSize;
    const logits = expected.logits ?? [];
    const argmax = Array.from({ length: logits.length / vocab }, (_, row) => {
      const values = logits.slice(row * vocab, (row + 1) * vocab);
      return values.indexOf(Math.max(...values));
    });
    expect(out[ARGMAX]).toEqual(argmax);
  });

  it('reads the weights a model keeps in a data file beside it, and writes the packed ones into the model', async () => {
    const { model, externalData } = randomDecoderFiles('static', 'q4', 7, 512);
    if (!externalData) throw new Error('the toolkit wrote no data file');
    expect(withPackedQkv(model).skipped[0]).toMatch(/values are in decoder.onnx_data, which was not given$/);
    const packed = withPackedQkv(model, new Map([[DATA_FILE, externalData]]));
    expect({ packed: packed.packed, skipped: packed.skipped }).toEqual({
      packed: CONFIG.numLayers,
      skipped: [],
    });
    expect(await outputs(packed.model, 'static', externalData)).toEqual(
      await outputs(model, 'static', externalData),
    );
  });

  it('leaves a graph without GroupQueryAttention (the Hub layout) as it is', () => {
    const hub = buildLlamaDecoder(randomQwen2Weights(CONFIG, 3), { attention: 'concat' }).model;
    const result = withPackedQkv(hub);
    expect(result.model).toBe(hub);
    expect({ packed: result.packed, skipped: result.skipped }).toEqual({ packed: 0, skipped: [] });
  });

  it('leaves projections of different inputs, or used elsewhere, unpacked and says why', () => {
    const weight = (name: string) => ({
      name,
      type: 'float32' as const,
      dims: [4, 4],
      data: new Uint8Array(64),
    });
    const attention = (name: string, q: string, k: string, v: string) => ({
      opType: 'GroupQueryAttention',
      domain: 'com.microsoft',
      inputs: [q, k, v, 'past_key', 'past_value', 'seqlens_k', 'total'],
      outputs: [`${name}/out`, `${name}/key`, `${name}/value`],
      attributes: { num_heads: 1, kv_num_heads: 1 },
      name,
    });
    const matMul = (x: string, w: string) => ({
      opType: 'MatMul',
      inputs: [x, w],
      outputs: [`${w}/y`],
      name: w,
    });
    const model = wireModel(
      'unpackable',
      [
        matMul('x', 'q0'),
        matMul('x', 'k0'),
        matMul('other', 'v0'),
        attention('layer0', 'q0/y', 'k0/y', 'v0/y'),
        matMul('x', 'q1'),
        matMul('x', 'k1'),
        matMul('x', 'v1'),
        attention('layer1', 'q1/y', 'k1/y', 'v1/y'),
        { opType: 'Identity', inputs: ['k1/y'], outputs: ['seen'], name: 'seen' },
      ],
      ['x', 'other'].map((name) => ({ name, type: 'float32' as const, dims: [1, 1, 4] })),
      ['layer0/out', 'layer1/out', 'seen'].map((name) => ({
        name,
        type: 'float32' as const,
        dims: [1, 1, 4],
      })),
      ['q0', 'k0', 'v0', 'q1', 'k1', 'v1'].map(weight),
    );
    const result = withPackedQkv(model);
    expect(result.model).toBe(model);
    expect(result.packed).toBe(0);
    expect(result.skipped).toEqual([
      'layer0: q, k and v are not projections of one input',
      "layer1's k is used elsewhere",
    ]);
  });
});

describe.skipIf(!existsSync(SWIFTSHADER))('withPackedQkv on WebGPU (Dawn, SwiftShader)', () => {
  it('gives the same outputs with fewer kernels a run', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'tools/testing/packed-qkv-dawn.ts', '--positions', '5'],
      {
        cwd: ROOT,
        env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
      },
    );
    const { graphs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      graphs: {
        kind: DecoderKind;
        dtype: DecoderDtype;
        packedLayers: number;
        maxDifference: number;
        kernels: number;
        packedKernels: number;
      }[];
    };
    expect(graphs.map((g) => [g.kind, g.dtype])).toEqual(GRAPHS);
    for (const g of graphs) {
      expect(g.packedLayers).toBe(CONFIG.numLayers);
      expect(g.maxDifference, `${g.kind} ${g.dtype}`).toBeLessThan(1e-5);
      // Two MatMuls and two bias Adds fewer a layer; the merged graph's Split adds one back.
      const fewer = g.kind === 'static' ? 3 : 2;
      expect(g.packedKernels, `${g.kind} ${g.dtype}`).toBeLessThanOrEqual(
        g.kernels - fewer * CONFIG.numLayers,
      );
    }
  }, 300_000);
});
