/**
 * The merged decoder on the CPU backends with the KV cache kept in place (row-cache-graph.ts), for both
 * kinds of merged graph: the Hub exports' (a Concat per present, plain attention: the toolkit's 'concat'
 * attention) and onnxruntime's GroupQueryAttention. stories260K's documented greedy sample is the reference,
 * and the merged decoder run as it is (handing back the whole cache) the comparison for sampled logits.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as node from 'onnxruntime-node';
import * as web from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/model/load';
import { folderReader } from '../../src/engine/node/folder-reader';
import type { Ort } from '../../src/engine/runtime/ort';
import type { GenerateEvent, LoadedModel, LoadOptions, PackageReader } from '../../src/engine/types';
import { buildLlamaDecoder } from '../../src/toolkit/decoder/llama-graph';
import { loadStories260kModel, stories260kFiles } from '../packages/stories260k';
import { writePackage } from '../packages/write';

const SAMPLE = fileURLToPath(
  new URL('../../../shared/data/stories260k/greedy-from-bos.ids', import.meta.url),
);

async function documentedIds(): Promise<number[]> {
  return (await readFile(SAMPLE, 'utf8')).trim().split(/\s+/).map(Number);
}

async function done(events: AsyncIterable<GenerateEvent>): Promise<Extract<GenerateEvent, { type: 'done' }>> {
  for await (const event of events) if (event.type === 'done') return event;
  throw new Error('no done event');
}

/** A reader that records the paths read. */
function recording(dir: string, read: string[]): PackageReader {
  const folder = folderReader(dir);
  return {
    location: folder.location,
    read: (path, options) => {
      read.push(path);
      return folder.read(path, options);
    },
  };
}

const RUNTIMES = [
  ['cpu', node as unknown as Ort],
  ['wasm', web as unknown as Ort],
] as const;

// The Hub exports' Concat and plain attention, with the cache in float32 and (as their q4f16 files keep it) in
// float16, and onnxruntime's GroupQueryAttention. Half-float keys and values may turn a token, so that graph is
// held to the unrewired decoder's tokens, the float32 ones to the documented sample too.
describe.each([
  { graph: 'concat', options: { attention: 'concat' }, documented: true },
  { graph: 'concat, float16 cache', options: { attention: 'concat', kvFloat16: true }, documented: false },
  { graph: 'group-query', options: { attention: 'group-query' }, documented: true },
] as const)('a merged decoder ($graph) on the CPU backends', ({ options: graphOptions, documented }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glimpse-row-cache-'));
    const { weights } = await loadStories260kModel();
    const files = new Map(await stories260kFiles());
    // Without a static decoder, as the Hub's exports come.
    files.delete('onnx/decoder_model_static.onnx');
    files.set('onnx/decoder_model_merged.onnx', buildLlamaDecoder(weights, graphOptions).model);
    await writePackage(dir, files);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe.each(RUNTIMES)('on %s', (backend, ort) => {
    let kept: LoadedModel;
    let whole: LoadedModel;
    const read: string[] = [];
    beforeAll(async () => {
      const options: LoadOptions = { backend };
      kept = await loadModel(ort, recording(dir, read), options);
      whole = await loadModel(ort, folderReader(dir), { ...options, rowCache: false });
    });
    afterAll(async () => {
      await kept?.dispose();
      await whole?.dispose();
    });

    it('keeps the cache in place and gives the documented greedy sample (float32), with and without drafts', async () => {
      expect(kept.info.rowCache).toBe(true);
      expect(whole.info.rowCache).toBeUndefined();
      // A wrong draft is a length change on the kept cache, a copy of all of it on the whole one.
      expect(kept.info.defaults.draftTokens).toBe(4);
      expect(whole.info.defaults.draftTokens).toBe(0);
      expect(read).toContain('onnx/decoder_model_merged.onnx');
      const greedy = { temperature: 0, maxNewTokens: 256, draftTokens: 0 };
      const reference = (await done(whole.complete('', greedy))).tokenIds;
      const ids = documented ? await documentedIds() : reference;
      expect(reference).toEqual(ids);
      expect((await done(kept.complete('', greedy))).tokenIds).toEqual(ids);
      const drafted = await done(
        kept.complete('', { temperature: 0, maxNewTokens: ids.length, draftTokens: 4 }),
      );
      expect(drafted.tokenIds).toEqual(ids);
      // Some drafts came true and some did not: both the kept rows and the rewinds were exercised.
      const drafts = drafted.stats.drafts;
      expect(drafts?.accepted).toBeGreaterThan(0);
      expect(drafts?.fed).toBeGreaterThan(drafts?.accepted ?? 0);
    });

    it('samples what the merged decoder handing back its whole cache samples (the logits path)', async () => {
      const options = { temperature: 0.9, topP: 0.95, seed: 7, maxNewTokens: 120, draftTokens: 0 };
      const sampled = await done(kept.complete('Once upon', options));
      expect(sampled.tokenIds.length).toBeGreaterThan(20);
      expect(sampled.tokenIds).toEqual((await done(whole.complete('Once upon', options))).tokenIds);
    });

    it('continues a conversation past a grown buffer (more than 256 positions)', async () => {
      const options = { temperature: 0, maxNewTokens: 300, draftTokens: 0 };
      const long = await done(kept.complete('Once upon a time', options));
      expect(long.tokenIds.length).toBeGreaterThan(256);
      expect(long.tokenIds).toEqual((await done(whole.complete('Once upon a time', options))).tokenIds);
      // A prompt that long prefills in chunks here (the exports' plain attention) and in one run there.
      const prompt = { temperature: 0, maxNewTokens: 24, draftTokens: 0 };
      const chunked = await done(kept.complete(long.text, prompt));
      expect(chunked.stats.prefillTokens).toBeGreaterThan(256);
      expect(chunked.tokenIds).toEqual((await done(whole.complete(long.text, prompt))).tokenIds);
    });
  });
});
