import { basename } from 'node:path';
import type { Browser } from '@playwright/test';
import { expect, openApp, photoPath, test } from './fixtures';

interface Ask {
  readonly model: string;
  readonly question: string;
  readonly image?: string;
  /** The package files the model list keeps (all when absent), so both backends load the same ones. */
  readonly keep?: (path: string) => boolean;
  /** Sampled at this temperature and seed; greedy when absent. */
  readonly sampled?: { readonly temperature: string; readonly seed: string };
}

interface Answer {
  readonly text: string;
  /** Whether the stats say the decode steps replayed a captured graph. */
  readonly graphCapture: string | null;
  /** The package files the page or its worker requested. */
  readonly requested: readonly string[];
}

/**
 * The app's answer on one backend, in a fresh browser context (its own storage and worker). The service
 * worker is blocked so that the page's requests, the model list's among them, reach the route.
 */
async function answerOn(browser: Browser, backend: string, ask: Ask): Promise<Answer> {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const folder = `/models/${ask.model}/`;
  const requested: string[] = [];
  context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith(folder)) requested.push(path.slice(folder.length));
  });
  const { keep } = ask;
  if (keep) {
    await context.route('**/models/index.json', async (route) => {
      const response = await route.fetch();
      const index = (await response.json()) as { models: { id: string; files: { path: string }[] }[] };
      for (const model of index.models)
        if (model.id === ask.model) model.files = model.files.filter((file) => keep(file.path));
      await route.fulfill({ response, json: index });
    });
  }
  try {
    const page = await context.newPage();
    await openApp(page, backend, 12, ask.model);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Temperature').fill(ask.sampled?.temperature ?? '0');
    if (ask.sampled) await page.getByLabel('Seed').fill(ask.sampled.seed);
    await page.getByRole('button', { name: 'Close settings' }).click();
    if (ask.image) {
      await page.getByTestId('image-input').setInputFiles(ask.image);
      // Attaching decodes the image first: a question sent before its preview shows goes without it.
      await expect(page.getByAltText(`Attached: ${basename(ask.image)}`)).toBeVisible();
    }
    await page.getByTestId('prompt-input').fill(ask.question);
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

test.skip(
  ({ backend }) => backend !== 'webgpu',
  'Each compares both backends, so it runs in the webgpu project.',
);

test('WebGPU answers a long question word for word as WebAssembly does', async ({ browser }) => {
  // Over 60 prompt positions: past the 32 new positions at which SwiftShader's attention kernel goes wrong
  // in one run (src/engine/runtime/attention-check.ts). Text only: the app picks the same 4-bit decoder on
  // both backends, and its MatMulNBits agree to 1e-5 at these shapes; the 4-bit vision encoder does not
  // (WebGPU's 8-bit activations at accuracy_level 4, for inner sizes of 256), so a photo's answers may part.
  // tiny-llava has no captured decode variant: this is the merged decoder's path, the Hub exports' one.
  const ask = {
    model: 'tiny-llava',
    question:
      'Once upon a time a little girl named Lily found a shiny red ball in the park near her house. What did she do next?',
  };
  const onWasm = await answerOn(browser, 'wasm', ask);
  const onWebGpu = await answerOn(browser, 'webgpu', ask);
  expect(onWasm.text).not.toBe('');
  expect(onWebGpu.text).toBe(onWasm.text);
  expect(onWebGpu.graphCapture).toBe('false');
});

test('WebGPU answers a photo through the captured decode step word for word as WebAssembly does', async ({
  browser,
}) => {
  // The package's fp32 files only, which agree across the backends (the 4-bit vision encoder does not).
  // The photo's image features put the prompt past SwiftShader's 32-position attention fault too.
  const ask = {
    model: 'tiny-llava-fused',
    question: 'What do you see in this picture?',
    image: photoPath,
    keep: (path: string) => !path.includes('_q4'),
  };
  const onWasm = await answerOn(browser, 'wasm', ask);
  const onWebGpu = await answerOn(browser, 'webgpu', ask);
  expect(onWasm.text).not.toBe('');
  expect(onWebGpu.text).toBe(onWasm.text);
  expect(onWebGpu.graphCapture).toBe('true');
  expect(onWasm.graphCapture).toBe('false');
  // Both decode through the static variant, read in place of the merged decoder, which neither reads:
  // WebGPU replays its captured graph; wasm keeps the cache in place under the two-part attention, which
  // here changes no word.
  for (const answer of [onWebGpu, onWasm]) {
    expect(answer.requested).toContain('onnx/decoder_model_static.onnx');
    expect(answer.requested).not.toContain('onnx/decoder_model_merged.onnx');
  }
});

test('WebGPU samples an answer through the captured decode step as WebAssembly does, at the same seed', async ({
  browser,
}) => {
  // A sampled step that replays the captured graph reads its logits (captured-logits-graph.ts): the first
  // step always does, the planner measuring the replay first (step-planner.ts). A replay that left them as
  // the capture wrote them would sample from the warm-up's row.
  const ask = {
    model: 'tiny-llava-fused',
    question: 'Tell me a story about a red ball.',
    keep: (path: string) => !path.includes('_q4'),
    sampled: { temperature: '0.8', seed: '11' },
  };
  const onWasm = await answerOn(browser, 'wasm', ask);
  const onWebGpu = await answerOn(browser, 'webgpu', ask);
  expect(onWasm.text).not.toBe('');
  expect(onWebGpu.text).toBe(onWasm.text);
  expect(onWebGpu.graphCapture).toBe('true');
});
