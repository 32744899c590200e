/**
 * `npm run train`, step 1 (tools/train/main.ts): everything the Python trainer needs, made by the same code that runs the model.
 * - the checkpoint's JSON files (config, tokenizer with `<image>`, llava_v1 template, processor settings);
 * - stories260K's weights in the Hugging Face layout, the language model the recipe fine-tunes;
 * - training scenes rendered to PNG/JPEG, decoded and resized by the engine's own preprocessing (so
 *   training sees exactly what the app feeds the model), stored as 8-bit squares before normalisation;
 * - captions and conversations tokenized with the package's tokenizer and chat template as the engine
 *   renders them, with the answer spans the loss is taken on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile } from '../../src/cli/image';
import { createEngineCodec } from '../../src/engine/chat/engine-codec';
import type { EngineCodec } from '../../src/engine/chat/model-runtime';
import { templateMessages } from '../../src/engine/chat/prompt';
import { preprocessImage } from '../../src/engine/image/preprocess';
import { parseImagePreprocessSpec } from '../../src/engine/image/preprocess-config';
import { loadTextCodec } from '../../src/engine/text/codec';
import type { ChatMessage } from '../../src/engine/types';
import { writeSafetensors } from '../../src/toolkit/safetensors/writer';
import { textTensors } from '../convert/hf-checkpoints';
import { loadStories260kModel } from '../packages/stories260k';
import { llavaConfigJson, llavaTextFiles, padPreprocessorJson } from '../packages/tiny-llava';
import { stableJson } from '../packages/write';
import { caption, conversationFor, type Turn } from '../scenes/language';
import { encodeScene } from '../scenes/render';
import { COLOUR_NAMES, COLOURS, generateScene, KINDS, positionOf, type Scene } from '../scenes/scene';
import type { JsonValue } from '../tokenizer/tokenizer-json';
import {
  CONVERSATIONS_PER_SCENE,
  SHAPES_VISION_CONFIG,
  TRAIN_DATA_DIR,
  TRAIN_SEED_BASE,
} from './shapes-llava';

/**
 * A training sequence: token ids with one -1 where the image goes, and [start, end) spans of answer tokens.
 * train.py widens the -1 to as many slots as its tower has patches, so one data set serves any grid.
 */
interface Sequence {
  readonly scene: number;
  readonly ids: number[];
  readonly spans: number[];
}

/** What each scene holds, for probe.py's checks of what the vision features encode. */
interface SceneLabel {
  readonly kind: string;
  readonly colour: string;
  readonly place: string;
}

function labelsOf(scene: Scene): SceneLabel[] {
  return scene.shapes.map((s) => ({
    kind: s.kind,
    colour: s.colour,
    place: positionOf(scene, s).place,
  }));
}

/** The checkpoint's JSON files, written beside the weights train.py will add. */
function checkpointJson(
  textConfig: Parameters<typeof llavaConfigJson>[1],
  vocab: Parameters<typeof llavaTextFiles>[0],
  imageTokenId: number,
) {
  return new Map<string, JsonValue>([
    ['config.json', llavaConfigJson(SHAPES_VISION_CONFIG, textConfig, imageTokenId)],
    ...llavaTextFiles(vocab, textConfig, imageTokenId),
    ['preprocessor_config.json', padPreprocessorJson(SHAPES_VISION_CONFIG.imageSize)],
  ]);
}

/**
 * The conversation as the engine prompts it at each turn: the prompt of turn t must be a prefix of the
 * whole conversation's tokens, and the answer of turn t runs from there through its end-of-sequence token.
 */
function sequenceOf(
  codec: EngineCodec,
  imageTokenId: number,
  turns: readonly Turn[],
  scene: number,
): Sequence {
  const tokens = (messages: ChatMessage[], addGenerationPrompt: boolean): number[] =>
    codec
      .encodeChat(templateMessages(messages, undefined), { addGenerationPrompt })
      .map((id) => (id === imageTokenId ? -1 : id));
  // The image itself is never read here: only its place in the template matters.
  const image = { width: 1, height: 1, data: new Uint8Array(4) };
  const messages: ChatMessage[] = [];
  const prompts: number[] = [];
  for (const [i, turn] of turns.entries()) {
    messages.push(
      i === 0
        ? { role: 'user', text: turn.question, images: [image] }
        : { role: 'user', text: turn.question },
    );
    prompts.push(tokens(messages, true).length);
    messages.push({ role: 'assistant', text: turn.answer });
  }
  const ids = tokens(messages, false);
  const spans: number[] = [];
  for (const [i, start] of prompts.entries()) {
    const prompt = tokens(messages.slice(0, 2 * i + 1), true);
    if (prompt.some((id, j) => ids[j] !== id))
      throw new Error(
        `Turn ${i} of scene ${scene}: its prompt is not a prefix of the conversation's tokens.`,
      );
    let end = start;
    while (end < ids.length && !codec.eosTokenIds.includes(ids[end] ?? -1)) end++;
    spans.push(start, end + 1);
  }
  return { scene, ids, spans };
}

/** Writes the checkpoint's JSON files into `checkpointDir` and the training data into TRAIN_DATA_DIR. */
export async function prepareTrainingData(scenes: number, checkpointDir: string): Promise<void> {
  const started = performance.now();
  const { weights, vocab } = await loadStories260kModel();
  const { hiddenSize, vocabSize } = weights.config;
  const imageTokenId = vocabSize;
  // One more embedding row for `<image>`; it is replaced by image features and never read.
  const embedTokens = new Float32Array((vocabSize + 1) * hiddenSize);
  embedTokens.set(weights.embedTokens.subarray(0, vocabSize * hiddenSize));

  const json = checkpointJson(weights.config, vocab, imageTokenId);
  mkdirSync(checkpointDir, { recursive: true });
  for (const [name, value] of json) writeFileSync(join(checkpointDir, name), stableJson(value));
  mkdirSync(TRAIN_DATA_DIR, { recursive: true });
  writeSafetensors(
    join(TRAIN_DATA_DIR, 'stories260k.safetensors'),
    textTensors({ ...weights, embedTokens }, 'language_model.model.', 'language_model.lm_head.weight'),
    'F32',
  );

  const codec = createEngineCodec(
    loadTextCodec({
      tokenizerJson: json.get('tokenizer.json'),
      tokenizerConfig: json.get('tokenizer_config.json'),
      config: json.get('config.json'),
    }),
    imageTokenId,
  );
  // The package's preprocessing up to the 8-bit resized square; train.py rescales and normalises.
  const spec = {
    ...parseImagePreprocessSpec(json.get('preprocessor_config.json')),
    rescaleFactor: 1,
    mean: [0, 0, 0] as const,
    std: [1, 1, 1] as const,
  };
  const side = SHAPES_VISION_CONFIG.imageSize;
  const pixels = new Uint8Array(scenes * 3 * side * side);
  const captions: number[][] = [];
  const stage1: Sequence[] = [];
  const stage2: Sequence[] = [];
  const shapes: SceneLabel[][] = [];
  for (let i = 0; i < scenes; i++) {
    const scene = generateScene(TRAIN_SEED_BASE + i);
    shapes.push(labelsOf(scene));
    const decoded = await decodeImageFile(await encodeScene(scene), `scene ${scene.seed}`);
    pixels.set(preprocessImage(decoded, spec).data, i * 3 * side * side);
    const text = caption(scene);
    captions.push(codec.encodePlain(text));
    stage1.push(
      sequenceOf(codec, imageTokenId, [{ question: 'Describe the image briefly.', answer: text }], i),
    );
    for (let k = 0; k < CONVERSATIONS_PER_SCENE; k++) {
      const conversation = conversationFor(scene, (scene.seed * 31 + k) >>> 0);
      stage2.push(sequenceOf(codec, imageTokenId, conversation.turns, i));
    }
    if ((i + 1) % 1000 === 0) console.log(`prepare: ${i + 1}/${scenes} scenes`);
  }
  writeFileSync(join(TRAIN_DATA_DIR, 'pixels.u8'), pixels);
  // Each colour's and kind's tokens as they follow a word in a caption, for stage 0's hard negatives.
  const article = codec.encodePlain('a').length;
  const words = Object.fromEntries(
    [...COLOUR_NAMES, ...KINDS].map((w) => [w, codec.encodePlain(`a ${w}`).slice(article)]),
  );
  const manifest = {
    words,
    scenes,
    seedBase: TRAIN_SEED_BASE,
    imageSize: side,
    padTokenId: 0,
    captions,
    stage1,
    stage2,
    shapes,
    // Each colour's RGB before jitter, for probe.py to find a shape's patches by their pixels.
    palette: COLOURS,
  };
  writeFileSync(join(TRAIN_DATA_DIR, 'data.json'), JSON.stringify(manifest));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `prepare: ${scenes} scenes, ${stage2.length} conversations in ${seconds} s → ${TRAIN_DATA_DIR}`,
  );
}
