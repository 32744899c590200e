import { encodeScene, sceneFileName } from '../tools/scenes/render';
import { COLOUR_NAMES, generateScene, KINDS } from '../tools/scenes/scene';
import { expect, test } from './fixtures';

/** A one-shape scene from a seed no training set uses (training: 1e6…, held-out: 9e6…). */
const SEED = 7_000_003;

// shapes-llava misses its accuracy targets (README): this checks that the app offers the trained package and
// that an uploaded scene gets answers in the form instruction tuning taught, a kind then, as a follow-up in
// the same conversation, a colour — not yet that they are right.
test('shapes-llava answers what shape it sees, and the follow-up its colour, in the taught form', async ({
  page,
  backend,
}) => {
  // On WebGPU this also checks the f16 question is put to onnxruntime's own device: SwiftShader's adapter lists
  // shader-f16, its device lacks it, and the package's q4f16 files must not be chosen (capabilities.ts).
  let scene = generateScene(SEED);
  for (let seed = SEED; scene.shapes.length !== 1; ) scene = generateScene(++seed);

  // Greedy decoding: the answer is the model's most likely one, not a sample of it.
  await page.addInitScript(() => {
    const settings = { temperature: 0, topP: 1, maxNewTokens: 16, systemPrompt: '' };
    localStorage.setItem('glimpse-settings', JSON.stringify({ state: { settings }, version: 1 }));
  });
  await page.goto(`/?model=shapes-llava&backend=${backend}`);
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 300_000 });

  const name = sceneFileName(scene);
  await page.getByTestId('image-input').setInputFiles({
    name,
    mimeType: scene.format === 'png' ? 'image/png' : 'image/jpeg',
    buffer: await encodeScene(scene),
  });
  await expect(page.getByAltText(`Attached: ${name}`)).toBeVisible();

  const answers = page.getByTestId('assistant-message');
  const ask = async (question: string, count: number): Promise<string> => {
    await page.getByTestId('prompt-input').fill(question);
    await page.getByTestId('prompt-input').press('Enter');
    await expect(answers).toHaveCount(count);
    await expect(answers.nth(count - 1)).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
    return (
      (await answers
        .nth(count - 1)
        .locator('.answer')
        .textContent()) ?? ''
    );
  };
  expect(await ask('What shape is it?', 1)).toMatch(new RegExp(`^It is a (${KINDS.join('|')})\\.$`));
  expect(await ask('And what colour is it?', 2)).toMatch(
    new RegExp(`^It is (${COLOUR_NAMES.join('|')})\\.$`),
  );
});
