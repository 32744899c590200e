/**
 * Every registry model, end to end through the Hub's URL layout: the look-alike package of each entry is
 * served by the local Hub stand-in, read through the app's Hub location parsing and HTTP reader, and loaded
 * by the engine, which must derive the real model's image-token count, prompt, EOS ids and files, and
 * generate.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineCodec } from '../../src/engine/chat/engine-codec';
import { buildPrompt, templateMessages } from '../../src/engine/chat/prompt';
import { parseModelConfig } from '../../src/engine/model/config';
import { DEVICE_CLASSES } from '../../src/engine/model/files';
import { resolveImageTokenId } from '../../src/engine/model/image-token';
import { loadModel } from '../../src/engine/model/load';
import { readPackageFiles } from '../../src/engine/model/package-files';
import { loadTextCodec } from '../../src/engine/text/codec';
import type { ChatMessage, GenerateEvent, RgbaImage } from '../../src/engine/types';
import { createHttpReader } from '../../src/storage/http-reader';
import { probeDownloadPlan } from '../../src/storage/hub-plan';
import { findEntry, parseRegistry, planDownload } from '../../src/storage/hub-registry';
import { headFileSize, parseHubLocation } from '../../src/storage/hub-source';
import { LOOKALIKE_PACKAGES } from '../packages/lookalike/index';
import { type HubServer, startHubServer } from './hub-server';

const registry = parseRegistry(
  JSON.parse(readFileSync(new URL('../../models/registry/hub-models.json', import.meta.url), 'utf8')),
);

const QUESTION = 'What is in the picture?';
const ANSWER = 'A boat.';
const FOLLOW_UP = 'What colour is it?';

/** What each real model's own files say, worked out by hand from data/hub-models.md. */
const EXPECTED: Record<string, { imageTokens: number; prompt: string; eos: readonly string[] }> = {
  'llava-hf/llava-interleave-qwen-0.5b-hf': {
    imageTokens: 729,
    // chat_template.json: images first, each text after '\n'; no system prompt.
    prompt: `<|im_start|>user\n<image>\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n\n${ANSWER}<|im_end|>\n<|im_start|>user\n\n${FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`,
    eos: ['<|im_end|>'],
  },
  'onnx-community/FastVLM-0.5B-ONNX': {
    imageTokens: 256,
    prompt: `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n${ANSWER}<|im_end|>\n<|im_start|>user\n${FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`,
    eos: ['<|im_end|>', '<|endoftext|>'],
  },
  'Xenova/nanoLLaVA': {
    imageTokens: 729,
    prompt: `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n${ANSWER}<|im_end|>\n<|im_start|>user\n${FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`,
    eos: ['<|im_end|>'],
  },
};

function photo(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++)
    data.set([(i * 7) % 256, (i * 3) % 256, (i * 11) % 256, 255], i * 4);
  return { width, height, data };
}

let server: HubServer;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glimpse-hub-'));
  for (const pkg of LOOKALIKE_PACKAGES) await pkg.build(join(root, pkg.name.replace(/^hub\//, '')));
  server = await startHubServer({ root });
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function readerFor(id: string) {
  const location = parseHubLocation(id, { host: server.origin, origin: server.origin });
  return { location, reader: createHttpReader(location.baseUrl, { origin: server.origin }) };
}

it('has a look-alike package and expectations for every registry model', () => {
  expect(LOOKALIKE_PACKAGES.map((pkg) => pkg.name).sort()).toEqual(
    registry.models.map((entry) => `hub/${entry.id}`).sort(),
  );
  expect(Object.keys(EXPECTED).sort()).toEqual(registry.models.map((entry) => entry.id).sort());
});

describe.each(registry.models.map((entry) => entry.id))('%s', (id) => {
  const entry = findEntry(registry, id);
  const expected = EXPECTED[id];
  if (!entry || !expected) throw new Error(`no registry entry or expectation for ${id}`);

  it('is served in the Hub layout with every file each device plan names', async () => {
    const { location } = readerFor(id);
    expect(location.baseUrl).toBe(`${server.origin}/${id}/resolve/main/`);
    for (const device of DEVICE_CLASSES) {
      for (const file of planDownload(entry, device).files) {
        expect(
          await headFileSize(`${location.baseUrl}${file.path}`),
          `${device} ${file.path}`,
        ).not.toBeNull();
      }
    }
  });

  it('reads its image token, template and EOS ids from its own files', async () => {
    const files = await readPackageFiles(readerFor(id).reader);
    const codec = loadTextCodec({
      tokenizerJson: files.tokenizerJson,
      tokenizerConfig: files.tokenizerConfig,
      ...(files.chatTemplate === null ? {} : { chatTemplate: files.chatTemplate }),
      specialTokensMap: files.specialTokensMap,
      generationConfig: files.generationConfig,
      config: files.config,
    });
    const config = parseModelConfig(files.config, files.processorConfig);
    expect(config.modelType).toBe(entry.modelType);
    const imageTokenId = resolveImageTokenId(config, codec);
    expect(imageTokenId === undefined ? undefined : codec.idToToken(imageTokenId)).toBe('<image>');
    expect(codec.eosTokenIds.map((eos) => codec.idToToken(eos))).toEqual(expected.eos);

    const history: ChatMessage[] = [
      { role: 'user', text: QUESTION, images: [photo(8, 6)] },
      { role: 'assistant', text: ANSWER },
      { role: 'user', text: FOLLOW_UP },
    ];
    const engineCodec = createEngineCodec(codec, imageTokenId);
    const messages = templateMessages(history, undefined);
    expect(codec.applyChatTemplate(messages, { addGenerationPrompt: true, imageToken: '<image>' })).toBe(
      expected.prompt,
    );
    const layout = buildPrompt(engineCodec, imageTokenId, messages, [
      { index: 0, rows: expected.imageTokens },
    ]);
    expect(layout.slots.filter((slot) => slot < 0)).toHaveLength(expected.imageTokens);
  });

  it('loads the wasm plan, derives the image-token count and generates a second turn', async () => {
    const plan = planDownload(entry, 'wasm');
    const model = await loadModel(ort, readerFor(id).reader, { backend: 'wasm', dtype: plan.dtype });
    try {
      expect(model.info.modelType).toBe(entry.modelType);
      expect(model.info.imageTokenCount).toBe(expected.imageTokens);
      expect(Object.values(model.info.files).sort()).toEqual(plan.files.map((file) => file.path).sort());
      const conversation = model.createConversation({
        history: [
          { role: 'user', text: QUESTION, images: [photo(40, 30)] },
          { role: 'assistant', text: ANSWER },
        ],
      });
      let done: Extract<GenerateEvent, { type: 'done' }> | undefined;
      for await (const event of conversation.send({ text: FOLLOW_UP }, { maxNewTokens: 3, temperature: 0 })) {
        if (event.type === 'done') done = event;
      }
      expect(done?.stats.generatedTokens).toBeGreaterThan(0);
      // The whole conversation was prefilled: its text tokens plus one position per image feature row.
      expect(done?.stats.prefillTokens).toBe(done?.stats.promptTokens);
      expect(done?.stats.promptTokens).toBeGreaterThan(expected.imageTokens + 20);
    } finally {
      await model.dispose();
    }
  });

  it('picks the same wasm files on its own as the registry plans', async () => {
    const model = await loadModel(ort, readerFor(id).reader, { backend: 'wasm' });
    const plan = planDownload(entry, 'wasm');
    try {
      expect(Object.values(model.info.files).sort()).toEqual(plan.files.map((file) => file.path).sort());
    } finally {
      await model.dispose();
    }
    const probed = await probeDownloadPlan(readerFor(id).location.baseUrl, 'wasm');
    expect(probed.dtype).toEqual(plan.dtype);
  });
});
