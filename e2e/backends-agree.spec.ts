import type { Browser } from '@playwright/test';
import { expect, openApp, photoPath, test } from './fixtures';

const MODEL = 'tiny-llava-fused';

interface Answer {
  readonly text: string;
  /** Whether the stats say the decode steps replayed a captured graph. */
  readonly graphCapture: string | null;
  /** The package files the page or its worker requested. */
  readonly requested: readonly string[];
}

/**
 * The app's greedy answer on one backend, in a fresh browser context (its own storage and worker). The
 * model list is cut to the package's fp32 files, so both backends load the same ones: the 4-bit vision
 * encoder does not agree across them (WebGPU's 8-bit activations at accuracy_level 4, for inner sizes of
 * 256), so a photo's answers may part with it. The service worker is blocked so that the page's requests,
 * the model list's among them, reach the route.
 */
async function greedyAnswer(browser: Browser, backend: string, question: string): Promise<Answer> {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const requested: string[] = [];
  context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith(`/models/${MODEL}/`)) requested.push(path.slice(`/models/${MODEL}/`.length));
  });
  await context.route('**/models/index.json', async (route) => {
    const response = await route.fetch();
    const index = (await response.json()) as { models: { id: string; files: { path: string }[] }[] };
    for (const model of index.models)
      if (model.id === MODEL) model.files = model.files.filter((file) => !file.path.includes('_q4'));
    await route.fulfill({ response, json: index });
  });
  try {
    const page = await context.newPage();
    await openApp(page, backend, 12, MODEL);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Temperature').fill('0');
    await page.getByRole('button', { name: 'Close settings' }).click();
    await page.getByTestId('image-input').setInputFiles(photoPath);
    await page.getByTestId('prompt-input').fill(question);
    await page.getByTestId('prompt-input').press('Enter');
    const answer = page.getByTestId('assistant-message').first();
    await expect(answer).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
    return {
      text: (await answer.locator('.answer').textContent()) ?? '',
      graphCapture: await answer.locator('.stats').getAttribute('data-graph-capture'),
      requested,
    };
  } finally {
    await context.close();
  }
}

test('WebGPU answers a photo through the captured decode step word for word as WebAssembly does', async ({
  browser,
  backend,
}) => {
  test.skip(backend !== 'webgpu', 'It compares both backends, so it runs once, in the webgpu project.');
  // The photo's image features put the prompt past the 32 new positions at which SwiftShader's attention
  // kernel goes wrong in one run (src/engine/runtime/attention-check.ts): the prefill is chunked.
  const question = 'What do you see in this picture?';
  const onWasm = await greedyAnswer(browser, 'wasm', question);
  const onWebGpu = await greedyAnswer(browser, 'webgpu', question);
  expect(onWasm.text).not.toBe('');
  expect(onWebGpu.text).toBe(onWasm.text);
  expect(onWebGpu.graphCapture).toBe('true');
  expect(onWasm.graphCapture).toBe('false');
  // The captured decode variant is downloaded for WebGPU only.
  expect(onWebGpu.requested).toContain('onnx/decoder_model_static.onnx');
  expect(onWasm.requested.filter((path) => path.includes('decoder_model_static'))).toEqual([]);
  expect(onWasm.requested).toContain('onnx/decoder_model_merged.onnx');
});
