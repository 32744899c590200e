/**
 * How closely a package's `_q4` files follow its float32 ones: greedy decoding of the decoder over a set
 * of prompts, and the image features of the vision encoder (followed by the float32 projector when the
 * package has one). Run `npx tsx tools/testing/q4-agreement.ts models/tiny-llava` to print the figures.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-web';
import { samplePixelValues } from '../vision/sample-images';
import { argmax, greedyIds, logitsInChunks, openPackageSessions } from './ort-greedy';

export const AGREEMENT_PROMPTS: readonly string[] = [
  'Once upon a time',
  'Lily and Ben went to the park',
  'The little dog was sad because',
  'One day, a big red ball',
  'Tom wanted to build a boat',
  'The sun was shining and the birds',
  'Mom said, "Be careful!"',
  'There was a tiny cat who',
];

export interface TextAgreement {
  /** Share of generated positions before the first token where q4 and float32 greedy outputs differ. */
  readonly greedyPrefix: number;
  /** Share of positions of the float32 greedy continuation where q4, fed the same tokens, picks the same top-1. */
  readonly teacherForcedTop1: number;
  readonly tokens: number;
}

export interface VisionAgreement {
  /** Cosine similarity of the q4 and float32 image features, all values as one vector. */
  readonly cosine: number;
  /** The lowest cosine similarity of one image token's features. */
  readonly minTokenCosine: number;
  readonly maxAbsError: number;
  /** The largest float32 feature magnitude, to read the error against. */
  readonly maxAbsValue: number;
}

async function readJson(path: string): Promise<object> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} is not a JSON object`);
  return parsed;
}

export async function measureTextAgreement(
  dir: string,
  prompts: readonly string[] = AGREEMENT_PROMPTS,
  newTokens = 32,
): Promise<TextAgreement> {
  const tokenizer = new Tokenizer(
    await readJson(join(dir, 'tokenizer.json')),
    await readJson(join(dir, 'tokenizer_config.json')),
  );
  const [full, q4] = await Promise.all([
    openPackageSessions(dir),
    openPackageSessions(dir, { decoderSuffix: '_q4' }),
  ]);
  let prefix = 0;
  let forced = 0;
  for (const prompt of prompts) {
    const ids = tokenizer.encode(prompt).ids;
    const reference = await greedyIds(full, ids, newTokens);
    const quantized = await greedyIds(q4, ids, newTokens);
    const firstDifference = reference.findIndex((id, i) => quantized[i] !== id);
    prefix += firstDifference === -1 ? reference.length : firstDifference;
    const logits = await logitsInChunks(q4, [...ids, ...reference], 64);
    forced += reference.filter((id, i) => {
      const row = logits[ids.length - 1 + i];
      return row !== undefined && argmax(row) === id;
    }).length;
  }
  await Promise.all([full.release(), q4.release()]);
  const tokens = prompts.length * newTokens;
  return { greedyPrefix: prefix / tokens, teacherForcedTop1: forced / tokens, tokens };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function imageFeatures(dir: string, encoderFile: string, pixels: ort.Tensor): Promise<Float32Array> {
  const encoder = await ort.InferenceSession.create(join(dir, 'onnx', encoderFile));
  const out = await encoder.run({ pixel_values: pixels });
  let features = out.image_features ?? out.vision_features;
  const projectorPath = join(dir, 'onnx', 'projector.onnx');
  if (out.vision_features && (await exists(projectorPath))) {
    const projector = await ort.InferenceSession.create(projectorPath);
    features = (await projector.run({ vision_features: out.vision_features })).image_features;
  }
  if (!(features?.data instanceof Float32Array)) throw new Error(`${encoderFile} gave no float32 features`);
  return features.data;
}

/** On the sample photographs, at the package's image side; `hidden` is the width of one feature row. */
export async function measureVisionAgreement(
  dir: string,
  side: number,
  hidden: number,
): Promise<VisionAgreement> {
  const values = await samplePixelValues(side);
  const pixels = new ort.Tensor('float32', values, [values.length / (3 * side * side), 3, side, side]);
  const full = await imageFeatures(dir, 'vision_encoder.onnx', pixels);
  const q4 = await imageFeatures(dir, 'vision_encoder_q4.onnx', pixels);
  const cosine = (from: number, to: number): number => {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = from; i < to; i++) {
      const x = full[i] ?? 0;
      const y = q4[i] ?? 0;
      dot += x * y;
      a += x * x;
      b += y * y;
    }
    return dot / Math.sqrt(a * b);
  };
  let minTokenCosine = 1;
  for (let row = 0; row < full.length / hidden; row++) {
    minTokenCosine = Math.min(minTokenCosine, cosine(row * hidden, (row + 1) * hidden));
  }
  return {
    cosine: cosine(0, full.length),
    minTokenCosine,
    maxAbsError: full.reduce((max, x, i) => Math.max(max, Math.abs(x - (q4[i] ?? 0))), 0),
    maxAbsValue: full.reduce((max, x) => Math.max(max, Math.abs(x)), 0),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? 'models/tiny-llava';
  console.log('text', await measureTextAgreement(dir));
  console.log('vision', await measureVisionAgreement(dir, 64, 64));
}
