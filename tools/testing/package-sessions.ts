/**
 * Test harness, not product code: onnxruntime-web (wasm) sessions over a package's files, with their
 * external data files (X.onnx_data, X.onnx_data_1, …) when present, and a greedy LLaVA answer over them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { argmax, DecoderRun, type PackageSessions } from './ort-greedy';

ort.env.wasm.numThreads = 1;

export async function openSession(path: string): Promise<ort.InferenceSession> {
  const externalData: { path: string; data: Uint8Array }[] = [];
  for (let i = 0; ; i++) {
    const file = i === 0 ? `${path}_data` : `${path}_data_${i}`;
    if (!existsSync(file)) break;
    externalData.push({ path: basename(file), data: new Uint8Array(await readFile(file)) });
  }
  return ort.InferenceSession.create(new Uint8Array(await readFile(path)), {
    executionProviders: ['wasm'],
    ...(externalData.length > 0 ? { externalData } : {}),
  });
}

export interface TextSizes {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

export async function openTextSessions(
  dir: string,
  suffix: string,
  sizes: TextSizes,
): Promise<PackageSessions> {
  const embed = await openSession(join(dir, 'onnx', `embed_tokens${suffix}.onnx`));
  const decoder = await openSession(join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`));
  return {
    embed,
    decoder,
    ...sizes,
    release: async () => {
      await embed.release();
      await decoder.release();
    },
  };
}

function floats(tensor: ort.Tensor | undefined, name: string): Float32Array {
  if (!(tensor?.data instanceof Float32Array)) throw new Error(`no float32 ${name}`);
  return tensor.data;
}

/** vision_encoder then projector: image embeddings [tokens × hidden] of one image [3, side, side]. */
export async function imageEmbeds(dir: string, suffix: string, pixels: Float32Array, side: number) {
  const vision = await openSession(join(dir, 'onnx', `vision_encoder${suffix}.onnx`));
  const projector = await openSession(join(dir, 'onnx', `projector${suffix}.onnx`));
  const { vision_features } = await vision.run({
    pixel_values: new ort.Tensor('float32', pixels, [1, 3, side, side]),
  });
  if (!vision_features) throw new Error('no vision_features');
  const { image_features } = await projector.run({ vision_features });
  const features = floats(vision_features, 'vision_features');
  const embeds = floats(image_features, 'image_features');
  await Promise.all([vision.release(), projector.release()]);
  return { features, embeds };
}

/** Greedy answer of a LLaVA package: image embeddings scattered over the image-token positions. */
export async function llavaGreedy(
  sessions: PackageSessions,
  inputIds: readonly number[],
  imageTokenId: number,
  embeds: Float32Array,
  maxNewTokens: number,
  stopId: number,
): Promise<number[]> {
  const run = new DecoderRun(sessions);
  const text = await run.embed(inputIds);
  const hidden = text.length / inputIds.length;
  let row = 0;
  inputIds.forEach((id, position) => {
    if (id !== imageTokenId) return;
    text.set(embeds.subarray(row * hidden, (row + 1) * hidden), position * hidden);
    row++;
  });
  if (row * hidden !== embeds.length)
    throw new Error(`${row} image tokens for ${embeds.length / hidden} rows`);
  let logits = (await run.feedEmbeds(text, inputIds.length)).at(-1);
  const generated: number[] = [];
  while (logits && generated.length < maxNewTokens) {
    const next = argmax(logits);
    generated.push(next);
    if (next === stopId) break;
    logits = (await run.feedIds([next])).at(-1);
  }
  return generated;
}
