import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoProcessor,
  env,
  LlavaForConditionalGeneration,
  RawImage,
  type Tensor,
} from '@huggingface/transformers';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, DecoderRun, openPackageSessions } from '../testing/ort-greedy';
import { rgbAt, SAMPLE_IMAGE_PATHS } from '../vision/sample-images';
import { tinyLlavaFiles } from './tiny-llava';
import { tinyLlavaFusedFiles } from './tiny-llava-fused';
import { writePackage } from './write';

const IMAGE_TOKEN_ID = 512;
const MAX_NEW_TOKENS = 24;

function bigIntsToNumbers(tensor: Tensor): number[] {
  if (!(tensor.data instanceof BigInt64Array)) throw new Error(`expected int64, got ${tensor.type}`);
  return Array.from(tensor.data, Number);
}

/** Our own LLaVA loop over the split package: vision encoder, projector, merge at <image>, KV-cached greedy. */
async function splitGreedy(dir: string, inputIds: number[], pixelValues: Float32Array): Promise<number[]> {
  const session = async (file: string) => ort.InferenceSession.create(join(dir, 'onnx', file));
  const [vision, projector] = await Promise.all([session('vision_encoder.onnx'), session('projector.onnx')]);
  const { vision_features } = await vision.run({
    pixel_values: new ort.Tensor('float32', pixelValues, [1, 3, 64, 64]),
  });
  if (!vision_features) throw new Error('no vision_features');
  const { image_features } = await projector.run({ vision_features });
  if (!(image_features?.data instanceof Float32Array)) throw new Error('no image_features');
  const rows = image_features.data;

  const sessions = await openPackageSessions(dir);
  const run = new DecoderRun(sessions);
  const embeds = await run.embed(inputIds);
  const hidden = embeds.length / inputIds.length;
  let row = 0;
  inputIds.forEach((id, position) => {
    if (id !== IMAGE_TOKEN_ID) return;
    embeds.set(rows.subarray(row * hidden, (row + 1) * hidden), position * hidden);
    row++;
  });
  expect(row * hidden).toBe(rows.length);
  let logits = (await run.feedEmbeds(embeds, inputIds.length)).at(-1);
  const generated: number[] = [];
  while (logits && generated.length < MAX_NEW_TOKENS) {
    const next = argmax(logits);
    generated.push(next);
    if (next === 2) break;
    logits = (await run.feedIds([next])).at(-1);
  }
  await sessions.release();
  return generated;
}

describe('models/tiny-llava-fused in transformers.js', () => {
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'glimpse-tiny-llava-'));
    await writePackage(join(modelsDir, 'tiny-llava-fused'), await tinyLlavaFusedFiles());
    await writePackage(join(modelsDir, 'tiny-llava'), await tinyLlavaFiles());
    env.localModelPath = modelsDir;
    env.allowRemoteModels = false;
  });

  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('loads with AutoProcessor and LlavaForConditionalGeneration and answers as our split-package loop', async () => {
    const processor = await AutoProcessor.from_pretrained('tiny-llava-fused');
    const model = await LlavaForConditionalGeneration.from_pretrained('tiny-llava-fused', {
      dtype: 'fp32',
      device: 'cpu',
    });
    // Already at the model's side, so that no resampling differences enter (see REFERENCES.md).
    const rgb = await rgbAt(SAMPLE_IMAGE_PATHS[0] ?? '', 64);
    const image = new RawImage(new Uint8ClampedArray(rgb), 64, 64, 3);
    const messages = [
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is in the picture?' }] },
    ];
    const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true });
    expect(prompt).toMatch(/ USER: <image>\nWhat is in the picture\? ASSISTANT:$/);

    const inputs = await processor(image, prompt);
    const inputIds = bigIntsToNumbers(inputs.input_ids);
    expect(inputIds.filter((id) => id === IMAGE_TOKEN_ID)).toHaveLength(64);

    const output = await model.generate({ ...inputs, max_new_tokens: MAX_NEW_TOKENS, do_sample: false });
    if (!(output && 'data' in output)) throw new Error('generate returned no tensor');
    const generated = bigIntsToNumbers(output).slice(inputIds.length);
    expect(generated.length).toBeGreaterThan(0);
    await model.dispose();

    const pixelValues = inputs.pixel_values.data;
    if (!(pixelValues instanceof Float32Array)) throw new Error('pixel_values is not float32');
    expect(await splitGreedy(join(modelsDir, 'tiny-llava'), inputIds, pixelValues)).toEqual(generated);
  });
});
