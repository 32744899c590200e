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
    return [...first, ...next];
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
