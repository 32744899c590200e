import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { checkDecoder, type DecoderSpec } from '../model/validate';
import { createSession } from '../runtime/session';
import { type DecoderInput, runDecoderRows } from './decoder';
import { KvCache } from './kv-cache';
import { withLogitsOutputs } from './logits-outputs-graph';

const PACKAGE = fileURLToPath(new URL('../../../models/stories260k/', import.meta.url));

let spec: DecoderSpec;
beforeAll(async () => {
  const file = 'onnx/decoder_model_merged.onnx';
  const config = parseModelConfig(JSON.parse(await readFile(`${PACKAGE}config.json`, 'utf8')), null);
  const session = await createSession(ort, 'wasm', {
    file,
    bytes: await readFile(`${PACKAGE}${file}`),
    externalData: [],
  });
  spec = checkDecoder(session, file, config);
});
afterAll(() => spec.session.release());

function prompt(length: number): DecoderInput {
  const hidden = 64;
  const data = Float32Array.from({ length: length * hidden }, (_, i) => Math.sin(i * 0.29) * 0.4);
  return { kind: 'embeds', data, length, hidden };
}

async function rowsThen(limit: number | undefined, length: number, rows: number): Promise<Float32Array[]> {
  const chunked: DecoderSpec = { ...spec, maxRunPositions: limit };
  const cache = new KvCache(ort, chunked);
  try {
    const first = await runDecoderRows(ort, chunked, cache, prompt(length), rows);
    expect(cache.length).toBe(length);
    // The cache the chunks built serves the next step as one run's would.
    const next = await runDecoderRows(ort, chunked, cache, prompt(1), 1);
    return [...first, ...next].map((row) => {
      if (!(row instanceof Float32Array)) throw new Error('a run without tokensOnly gave no logits');
      return row;
    });
  } finally {
    cache.clear();
  }
}

function expectClose(actual: readonly Float32Array[], expected: readonly Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    const want = expected[r] ?? new Float32Array();
    expect(row.length).toBe(want.length);
    let diff = 0;
    for (let i = 0; i < row.length; i++) diff = Math.max(diff, Math.abs((row[i] ?? 0) - (want[i] ?? 0)));
    expect(diff).toBeLessThan(1e-4);
  });
}

describe('runDecoderRows with a run limit', () => {
  it('gives the logits of one run when a prefill goes through in chunks', async () => {
    expectClose(await rowsThen(7, 40, 1), await rowsThen(undefined, 40, 1));
  });

  it('collects rows that span chunks, in order', async () => {
    expectClose(await rowsThen(2, 9, 5), await rowsThen(undefined, 9, 5));
  });
});

describe('runDecoderRows on a graph given its argmax as an output', () => {
  it("reads each asked position's token, the argmax of the logits the plain graph gives", async () => {
    const file = 'onnx/decoder_model_merged.onnx';
    const config = parseModelConfig(JSON.parse(await readFile(`${PACKAGE}config.json`, 'utf8')), null);
    const bytes = withLogitsOutputs(await readFile(`${PACKAGE}${file}`));
    const session = await createSession(ort, 'wasm', { file, bytes, externalData: [] });
    const given = checkDecoder(session, file, config);
    expect(given.logitsOutputs).toEqual({ argmax: true, lastRow: false });
    const argmax = (row: Float32Array) => row.reduce((best, v, i) => (v > (row[best] ?? 0) ? i : best), 0);
    const plain = new KvCache(ort, spec);
    const tokens = new KvCache(ort, given);
    try {
      // A prefill, then a step with draft tokens: the last rows of each run, as a draft check asks for them.
      for (const [length, rows] of [
        [9, 1],
        [5, 5],
      ] as const) {
        const logits = await runDecoderRows(ort, spec, plain, prompt(length), rows);
        const picked = await runDecoderRows(ort, given, tokens, prompt(length), rows, { tokensOnly: true });
        expect(picked).toEqual(logits.map((row) => argmax(row as Float32Array)));
        expect(tokens.length).toBe(plain.length);
      }
      // Without tokensOnly the same graph still hands back the logits.
      const sampled = await runDecoderRows(ort, given, tokens, prompt(1), 1);
      expectClose(
        sampled as Float32Array[],
        (await runDecoderRows(ort, spec, plain, prompt(1), 1)) as Float32Array[],
      );
    } finally {
      plain.clear();
      tokens.clear();
      await session.release();
    }
  });
});
