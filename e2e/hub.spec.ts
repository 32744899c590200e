import { expect, openApp, test } from './fixtures';

/** A look-alike of the registry's default model (built by `npm run models`), served by the app's own server. */
const mirrorPath = '/models/hub/llava-hf/llava-interleave-qwen-0.5b-hf';

// Choosing, sizing and fetching a Hub package is the same on every backend; the wasm run is the fast one.
test.skip(({ backend }) => backend !== 'wasm', 'The Hub flow does not depend on the backend.');

test('asks before downloading a registry model and fetches nothing when cancelled', async ({
  page,
  backend,
}) => {
  const hubRequests: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith('https://huggingface.co/')) hubRequests.push(request.url());
  });
  await openApp(page, backend, 4);
  const picker = page.getByTestId('model-picker');
  await expect(picker.locator('option', { hasText: 'LLaVA-Interleave 0.5B' })).toHaveText(
    /LLaVA-Interleave 0\.5B · (\d+ MB|\d+\.\d+ GB) · tongyi-qianwen-research/,
  );
  await picker.selectOption('llava-hf/llava-interleave-qwen-0.5b-hf');
  const dialog = page.getByTestId('hub-dialog');
  await expect(dialog.getByTestId('hub-licence')).toHaveText('tongyi-qianwen-research');
  await expect(dialog.getByTestId('hub-question')).toHaveText(
    /^This downloads (\d+ MB|\d+\.\d+ GB) — continue\?$/,
  );
  await page.screenshot({ path: test.info().outputPath('hub-confirmation.png') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(picker).toHaveValue('tiny-llava');
  expect(hubRequests).toEqual([]);
});

test('loads a mirror URL after showing its size for this device', async ({ page, backend, baseURL }) => {
  await openApp(page, backend, 4);
  const picker = page.getByTestId('model-picker');
  await picker.selectOption('#enter-location');
  const mirror = `${baseURL}${mirrorPath}`;
  await page.getByTestId('hub-location').fill(mirror);
  await page.getByTestId('hub-check').click();
  await expect(page.getByTestId('hub-question')).toHaveText(/^This downloads \d+ [kM]B — continue\?$/);
  await page.getByTestId('hub-confirm').click();
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 120_000 });
  await expect(picker).toHaveValue(`${mirror}/`);
  await page.screenshot({ path: test.info().outputPath('hub-loaded.png') });
});

test('loads a model folder picked on this computer', async ({ page, backend }) => {
  await openApp(page, backend, 4);
  await page.getByTestId('model-folder-input').setInputFiles('models/hub/Xenova/nanoLLaVA');
  await expect(page.getByTestId('model-picker')).toHaveValue('folder:nanoLLaVA');
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 120_000 });
});
