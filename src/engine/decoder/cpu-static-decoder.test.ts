/** The CPU backends' decoder over a KV cache kept in place (decoder_model_static rewired), on stories260k. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-node';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as web from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlimpseError } from '../errors';
import { parseModelConfig } from '../model/config';
import { loadModel } from '../model/load';
import { checkDecoder, type DecoderSpec } from '../model/validate';
import { folderReader } from '../node/folder-reader';
import type { Ort } from '../runtime/ort';
import { createSession } from '../runtime/session';
import type { GenerateEvent, LoadedModel, PackageReader } from '../types';
import { COMPACT_PAST_RUN, CpuStaticDecoder } from './cpu-static-decoder';
import { cpuStaticGraph } from './cpu-static-graph';
import type { DecoderInput } from './decoder';
import { PREFILL_CHUNK } from './decoder';
import { type DecoderSequence, mergedSequence, type StepRow } from './sequence';

const PACKAGE = fileURLToPath(new URL('../../../models/stories260k/', import.meta.url));
const SAMPLE = fileURLToPath(
  new URL('../../../../shared/data/stories260k/greedy-from-bos.ids', import.meta.url),
);
const runtime = ort as unknown as Ort;

async function documentedIds(): Promise<number[]> {
  return (await readFile(SAMPLE, 'utf8')).trim().split(/\s+/).map(Number);
}

async function done(events: AsyncIterable<GenerateEvent>): Promise<Extract<GenerateEvent, { type: 'done' }>> {
  for await (const event of events) if (event.type === 'done') return event;
  throw new Error('no done event');
}

describe('the cpu backend on a package with decoder_model_static', () => {
  let model: LoadedModel;
  let groupQuery: LoadedModel;
  let merged: LoadedModel;
  beforeAll(async () => {
    // The default attention.
    model = await loadModel(runtime, folderReader(PACKAGE), { backend: 'cpu' });
    groupQuery = await loadModel(runtime, folderReader(PACKAGE), {
      backend: 'cpu',
      cpuAttention: 'group-query',
    });
    merged = await loadModel(runtime, folderReader(PACKAGE), { backend: 'cpu', staticCache: false });
  });
  afterAll(async () => {
    await model.dispose();
    await groupQuery.dispose();
    await merged.dispose();
  });

  it('decodes through the static cache and gives the documented greedy sample, as the merged decoder does', async () => {
    expect(model.info.staticDecoder).toBe('onnx/decoder_model_static.onnx');
    expect(model.info.cpuAttention).toEqual({ kind: 'two-part' });
    expect(groupQuery.info.cpuAttention).toEqual({ kind: 'group-query' });
    expect(merged.info.staticDecoder).toBeUndefined();
    const ids = await documentedIds();
    const options = { temperature: 0, maxNewTokens: ids.length, draftTokens: 0 };
    expect((await done(model.complete('', options))).tokenIds).toEqual(ids);
    expect((await done(groupQuery.complete('', options))).tokenIds).toEqual(ids);
    expect((await done(merged.complete('', options))).tokenIds).toEqual(ids);
  });

  it('gives the same tokens with draft tokens, rejected drafts rewound by length', async () => {
    const ids = await documentedIds();
    const result = await done(
      model.complete('', { temperature: 0, maxNewTokens: ids.length, draftTokens: 4 }),
    );
    expect(result.tokenIds).toEqual(ids);
    const drafts = result.stats.drafts;
    // Some drafts came true and some did not: both the kept rows and the rewinds were exercised.
    expect(drafts?.accepted).toBeGreaterThan(0);
    expect(drafts?.fed).toBeGreaterThan(drafts?.accepted ?? 0);
  });

  it('samples the same tokens as the merged decoder (the logits path)', async () => {
    const options = { temperature: 0.9, topP: 0.95, seed: 7, maxNewTokens: 120, draftTokens: 0 };
    const sampled = await done(model.complete('Once upon', options));
    expect(sampled.tokenIds.length).toBeGreaterThan(20);
    expect(sampled.tokenIds).toEqual((await done(merged.complete('Once upon', options))).tokenIds);
  });
});

describe.each(['two-part', 'group-query'] as const)(
  'CpuStaticSequence (%s attention) against the merged decoder',
  (attention) => {
    let spec: DecoderSpec;
    let decoder: CpuStaticDecoder;
    beforeAll(async () => {
      const config = parseModelConfig(JSON.parse(await readFile(`${PACKAGE}config.json`, 'utf8')), null);
      const read = async (file: string) => ({
        file,
        bytes: await readFile(`${PACKAGE}${file}`),
        externalData: [],
      });
      const mergedFile = 'onnx/decoder_model_merged.onnx';
      spec = checkDecoder(await createSession(runtime, 'cpu', await read(mergedFile)), mergedFile, config);
      const staticSource = await read('onnx/decoder_model_static.onnx');
      const rewired = cpuStaticGraph(staticSource.bytes, { attention });
      expect(rewired.attention).toBe(attention);
      const session = await createSession(runtime, 'cpu', { ...staticSource, bytes: rewired.bytes });
      decoder = new CpuStaticDecoder(runtime, session, {
        layers: spec.numLayers,
        kvHeads: spec.kvHeads,
        headDim: spec.headDim,
        maxLength: config.contextLength,
        positionIds: true,
        attention,
      });
    });
    afterAll(async () => {
      await spec.session.release();
      await decoder.session.release();
    });

    function embeds(length: number, seed: number): DecoderInput {
      const hidden = 64;
      const data = Float32Array.from(
        { length: length * hidden },
        (_, i) => Math.sin((i + seed) * 0.37) * 0.5,
      );
      return { kind: 'embeds', data, length, hidden };
    }

    /**
     * The same runs and cuts on a sequence: a prefill past one capacity block, drafts, rewinds, a regrowth,
     * runs short of COMPACT_PAST_RUN (the past at its capacity, masked) and past it (the past compacted), a
     * run longer than PREFILL_CHUNK.
     */
    async function script(sequence: DecoderSequence): Promise<StepRow[]> {
      const rows: StepRow[] = [];
      // Past PREFILL_CHUNK under the two-part attention, with rows asked for from both chunks.
      rows.push(...(await sequence.run(embeds(PREFILL_CHUNK + 44, 1), 50)));
      rows.push(...(await sequence.run(embeds(1, 6), 1)));
      rows.push(...(await sequence.run(embeds(4, 2), 4)));
      await sequence.truncate(sequence.length - 3);
      rows.push(...(await sequence.run(embeds(3, 3), 3)));
      await sequence.truncate(120);
      rows.push(...(await sequence.run(embeds(1, 4), 1)));
      rows.push(...(await sequence.run(embeds(COMPACT_PAST_RUN, 7), 2)));
      rows.push(...(await sequence.run(embeds(136, 5), 1)));
      expect(sequence.length).toBe(321);
      return rows;
    }

    it('gives the same logits through prefill, drafts, rewinds and growth', async () => {
      const cpu = decoder.open();
      const reference = mergedSequence(runtime, spec, undefined);
      const actual = await script(cpu);
      const expected = await script(reference);
      reference.clear();
      expect(actual.length).toBe(expected.length);
      actual.forEach((row, r) => {
        const want = expected[r];
        if (!(row instanceof Float32Array) || !(want instanceof Float32Array))
          throw new Error('logits expected');
        let diff = 0;
        for (let i = 0; i < row.length; i++) diff = Math.max(diff, Math.abs((row[i] ?? 0) - (want[i] ?? 0)));
        expect(diff, `row ${r}`).toBeLessThan(1e-4);
      });
    });

    it('hands back the argmax of each row when only tokens are asked for', async () => {
      const sequence = decoder.open();
      const logits = await sequence.run(embeds(5, 9), 3);
      await sequence.truncate(0);
      const tokens = await sequence.run(embeds(5, 9), 3, { tokensOnly: true });
      expect(tokens).toEqual(
        logits.map((row) => (row instanceof Float32Array ? row.indexOf(Math.max(...row)) : Number.NaN)),
      );
    });

    it('refuses a run past the context length', async () => {
      const sequence = decoder.open();
      await expect(sequence.run(embeds(513, 0), 1)).rejects.toThrow('the context holds 512 positions');
    });
  },
);

describe('the wasm backend on a package with decoder_model_static', () => {
  it('reads it in place of the merged decoder, keeps the cache in place under the two-part attention and gives the documented greedy sample', async () => {
    const folder = folderReader(PACKAGE);
    const read: string[] = [];
    const reader: PackageReader = {
      location: folder.location,
      read: (path, options) => {
        read.push(path);
        return folder.read(path, options);
      },
    };
    const model = await loadModel(web as unknown as Ort, reader, { backend: 'wasm' });
    try {
      expect(read).toContain('onnx/decoder_model_static.onnx');
      expect(read).not.toContain('onnx/decoder_model_merged.onnx');
      expect(model.info.staticDecoder).toBe('onnx/decoder_model_static.onnx');
      expect(model.info.files.decoder_model_merged).toBeUndefined();
      expect(model.info.cpuAttention).toEqual({ kind: 'two-part' });
      const ids = await documentedIds();
      for (const draftTokens of [0, 4]) {
        const result = await done(
          model.complete('', { temperature: 0, maxNewTokens: ids.length, draftTokens }),
        );
        expect(result.tokenIds, `${draftTokens} draft tokens`).toEqual(ids);
      }
    } finally {
      await model.dispose();
    }
  });

  it('names the static file when it is broken, rather than loading the merged decoder silently', async () => {
    const folder = folderReader(PACKAGE);
    const reader: PackageReader = {
      location: folder.location,
      read: async (path, options) => {
        const bytes = await folder.read(path, options);
        return path === 'onnx/decoder_model_static.onnx' && bytes ? bytes.subarray(0, 1000) : bytes;
      },
    };
    const err = await loadModel(web as unknown as Ort, reader, { backend: 'wasm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlimpseError);
    expect(err).toMatchObject({
      code: 'package-invalid',
      details: { file: 'onnx/decoder_model_static.onnx' },
    });
  });
});
