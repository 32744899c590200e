import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuStaticGraph } from '../../src/engine/decoder/cpu-static-graph';
import { type ConvertEvent, convertCheckpoint } from '../../src/toolkit/convert/convert';
import { EOS_ID } from '../llama2c/tokenizer';
import { loadTinyLlavaModel, type TinyLlavaModel, tinyLlavaFiles } from '../packages/tiny-llava';
import { type PackageFiles, writePackage } from '../packages/write';
import { llama2cEncode } from '../testing/llama2c-encode';
import { imageEmbeds, llavaGreedy, openTextSessions } from '../testing/package-sessions';
import { samplePixelValues } from '../vision/sample-images';
import { clipTensors, projectorTensors, textTensors, writeHfCheckpoint } from './hf-checkpoints';

const SIDE = 64;
const IMAGE_TOKENS = 64;
const MAX_NEW_TOKENS = 24;

/** tiny-llava's weights as a LlavaForConditionalGeneration checkpoint, in the old or the new naming. */
function writeTinyLlavaCheckpoint(
  dir: string,
  model: TinyLlavaModel,
  files: PackageFiles,
  naming: 'old' | 'new',
): void {
  const old = naming === 'old';
  const tensors = [
    ...clipTensors(model.vision, old ? 'vision_tower.vision_model.' : 'model.vision_tower.vision_model.'),
    ...projectorTensors(model.projector, old ? 'multi_modal_projector.' : 'model.multi_modal_projector.'),
    ...textTensors(
      model.text,
      old ? 'language_model.model.' : 'model.language_model.',
      old ? 'language_model.lm_head.weight' : 'lm_head.weight',
    ),
  ];
  writeHfCheckpoint(dir, tensors, files, { dtype: 'F32', shards: old ? 1 : 3 });
}

describe('glimpse convert on a LlavaForConditionalGeneration checkpoint', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-convert-llava-'));
  const toolkit = join(root, 'tiny-llava');
  let model: TinyLlavaModel;
  let pixels: Float32Array;
  let inputIds: number[];
  let files: PackageFiles;

  beforeAll(async () => {
    model = await loadTinyLlavaModel();
    files = await tinyLlavaFiles();
    await writePackage(toolkit, files);
    pixels = (await samplePixelValues(SIDE)).subarray(0, 3 * SIDE * SIDE);
    const question = llama2cEncode(model.vocab, 'What is in the picture? The picture shows');
    inputIds = [
      question[0] ?? 1,
      ...Array.from({ length: IMAGE_TOKENS }, () => model.imageTokenId),
      ...question.slice(1),
    ];
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function answer(dir: string) {
    const { features, embeds } = await imageEmbeds(dir, '', pixels, SIDE);
    const { numLayers, numKvHeads, headDim } = model.text.config;
    const sessions = await openTextSessions(dir, '', { numLayers, numKvHeads, headDim });
    const ids = await llavaGreedy(sessions, inputIds, model.imageTokenId, embeds, MAX_NEW_TOKENS, EOS_ID);
    await sessions.release();
    return { features, ids };
  }

  it('answers an image question exactly as the tiny-llava package built by the toolkit', async () => {
    const checkpoint = join(root, 'hf-old');
    writeTinyLlavaCheckpoint(checkpoint, model, files, 'old');
    const converted = join(root, 'converted');
    const events: ConvertEvent[] = [];
    const summary = await convertCheckpoint({
      from: checkpoint,
      to: converted,
      dtype: 'fp32',
      onEvent: (event) => events.push(event),
    });
    expect(summary.parts.map((p) => p.part)).toEqual([
      'vision_encoder',
      'projector',
      'embed_tokens',
      'decoder_model_merged',
      'decoder_model_static',
    ]);
    // The static decoder is built from the merged decoder's reads: each tensor is read once, so the
    // progress counts each once and rises with every read (the unused last vision layer stays unread).
    const reads = events.flatMap((event) => (event.type === 'tensor' ? [event] : []));
    expect(new Set(reads.map((r) => r.name)).size).toBe(reads.length);
    expect(reads.every((r, i) => r.readBytes === (reads[i - 1]?.readBytes ?? 0) + r.bytes)).toBe(true);
    expect(reads.at(-1)?.readBytes).toBeLessThanOrEqual(reads.at(-1)?.totalBytes ?? 0);
    // The converter writes each large initializer as a graph fragment of its own: the cpu backend's
    // rewiring must take them as one graph (a model that repeats its nodes does not load).
    const step = readFileSync(join(converted, 'onnx/decoder_model_static.onnx'));
    const rewired = cpuStaticGraph(step, { attention: 'two-part' });
    expect(rewired.attention).toBe('two-part');
    const session = await ort.InferenceSession.create(rewired.bytes);
    expect(session.outputNames).toContain('new.0.key');
    await session.release();
    expect(summary.copied).toEqual(
      expect.arrayContaining(['config.json', 'preprocessor_config.json', 'tokenizer_config.json']),
    );

    const expected = await answer(toolkit);
    expect(expected.ids.length).toBeGreaterThan(4);
    const actual = await answer(converted);
    expect(actual.features).toEqual(expected.features);
    expect(actual.ids).toEqual(expected.ids);
  });

  it('reads the newer model.language_model naming from shards and writes weights past the limit as external data', async () => {
    const checkpoint = join(root, 'hf-new');
    writeTinyLlavaCheckpoint(checkpoint, model, files, 'new');
    const converted = join(root, 'converted-external');
    await convertCheckpoint({
      from: checkpoint,
      to: converted,
      dtype: 'fp32',
      limits: { inlineLimit: 0, dataFileLimit: 40_000 },
    });
    const written = readdirSync(join(converted, 'onnx'));
    expect(written).toEqual(
      expect.arrayContaining(['decoder_model_merged.onnx_data', 'decoder_model_merged.onnx_data_1']),
    );
    expect((await answer(converted)).ids).toEqual((await answer(toolkit)).ids);
  });
});
