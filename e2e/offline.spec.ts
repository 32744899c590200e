import type { Page } from '@playwright/test';
import { expect, openApp, photoPath, secondPhotoPath, test } from './fixtures';

async function askAbout(page: Page, imagePath: string, question: string, answers: number): Promise<void> {
  await page.getByTestId('image-input').setInputFiles(imagePath);
  await page.getByTestId('prompt-input').fill(question);
  await page.getByTestId('prompt-input').press('Enter');
  const answer = page.getByTestId('assistant-message').nth(answers - 1);
  await expect(answer).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
  await expect(answer.locator('.answer')).not.toBeEmpty();
}

test('after one chat the app starts offline, loads the model from storage and answers', async ({
  page,
  context,
  backend,
}) => {
  test.skip(
    backend !== 'wasm',
    'Offline start does not depend on the backend; the wasm run is the fast one.',
  );
  // Two model loads and two answers.
  test.slow();
  await openApp(page, backend, 8);
  // The service worker is active only once it has precached the app shell and the wasm runtime.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await askAbout(page, photoPath, 'What is in this picture?', 1);
  const conversations = page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem');
  await expect(conversations).toHaveCount(1);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 150_000 });
  // The precached page keeps its COOP/COEP headers, so wasm threads stay available offline.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(conversations).toHaveCount(1);

  await page.getByTestId('new-chat').click();
  await askAbout(page, secondPhotoPath, 'Where was this photo taken?', 1);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  await expect(conversations).toHaveCount(2);
});
