/**
 * The first visit, against a Hub that behaves like the real one: https://huggingface.co is routed to the
 * stand-in (tools/hub-server, serving the registry models' look-alikes), so the browser meets the paged
 * listing, the CDN's non-sha256 ETag and its byte ranges, as it would on the real Hub.
 */
import type { BrowserContext } from '@playwright/test';
import { type HubServer, startHubServer } from '../tools/hub-server/hub-server';
import { expect, test } from './fixtures';

const DEFAULT = 'llava-hf/llava-interleave-qwen-0.5b-hf';
const DECODER = 'onnx/decoder_model_merged_quantized.onnx';

test.skip(
  ({ backend }) => backend !== 'wasm',
  'The first screen and downloads do not depend on the backend.',
);
// Requests a service worker makes are not routed; the app's worker handles none of these, so it stays out.
test.use({ serviceWorkers: 'block' });

let server: HubServer;

test.beforeAll(async () => {
  server = await startHubServer({ root: 'models/hub', pageSize: 5 });
});

test.afterAll(async () => {
  await server.close();
});

test.afterEach(() => {
  server.corrupt.clear();
  server.cutOnce.clear();
});

/**
 * https://huggingface.co answered by the stand-in. Chromium does not route the request that follows a
 * redirect fulfilled here, so the stand-in's 302 to its CDN is followed on the test's side, with the page's
 * Range header: the page then sees what its fetch exposes on the real Hub after the redirect — the CDN's
 * headers, without the X-Linked-* ones (the Node tests meet the 302 itself).
 */
async function routeHub(context: BrowserContext, cutOnce?: { path: string; bytes: number }): Promise<void> {
  let cut = cutOnce;
  await context.route('https://huggingface.co/**', async (route) => {
    const url = route.request().url().replace('https://huggingface.co', server.origin);
    const response = await route.fetch({ url });
    const headers = response.headers();
    if (headers.link) headers.link = headers.link.replaceAll(server.origin, 'https://huggingface.co');
    if (cut && url.endsWith(cut.path)) {
      // The full Content-Length with the start of the body: the connection drops part way through.
      const body = (await response.body()).subarray(0, cut.bytes);
      cut = undefined;
      return route.fulfill({ status: response.status(), headers, body });
    }
    await route.fulfill({ response, headers });
  });
}

/** The repository paths the page asked the Hub to resolve, from a point in the request log on. */
function resolved(from: number): string[] {
  return server.requests
    .slice(from)
    .filter((request) => request.url.includes('/resolve/'))
    .map((request) => request.url.replace(/^.*\/resolve\/[^/]+\//, ''));
}

test('a newcomer is offered the registry default with its size and licence; no test model loads by itself', async ({
  page,
  context,
  consoleErrors,
}) => {
  await routeHub(context);
  const served: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/models/tiny-llava')) served.push(request.url());
  });
  await page.goto('/?backend=wasm');
  const first = page.getByTestId('first-run');
  await expect(first).toBeVisible();
  await expect(first.getByRole('heading', { name: 'Recommended: LLaVA-Interleave 0.5B' })).toBeVisible();
  await expect(page.getByTestId('first-run-size')).toHaveText(
    /^(\d+ MB|\d+\.\d+ GB) for WebAssembly \(CPU\)$/,
  );
  await expect(page.getByTestId('first-run-licence')).toHaveText('tongyi-qianwen-research');
  // Without WebGPU the worker times this device's 8-bit kernels, then the screen shows what a photo question
  // to the recommended model will take here, as rounded figures of an estimate.
  await expect(page.getByTestId('first-run-estimate')).toHaveText(
    /^Estimate from this device's measured speed: .* in about \d+(\.\d+)? (s|min), then about \d+(\.\d+)? tokens?\/s$/,
    { timeout: 30_000 },
  );
  await expect(first).toContainText('FastVLM 0.5B');
  const tests = page.getByTestId('first-run-tests');
  await expect(tests).toContainText('tiny-llava');
  await expect(tests).toContainText('answers are not about the picture');
  await expect(page.getByTestId('model-status')).toHaveText('No model');
  await expect(page.getByTestId('composer-note')).toHaveText('Choose a model above to send your question');
  await page.screenshot({ path: test.info().outputPath('first-run.png') });
  expect(served).toEqual([]);
  expect(server.requests).toEqual([]);

  const from = server.requests.length;
  await page.getByTestId('first-run-download').click();
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 120_000 });
  await expect(page.getByTestId('model-picker')).toHaveValue(DEFAULT);
  await expect(page.getByTestId('composer-note')).toHaveText(/^Enter to send/);
  // Only files of the listing were asked for: the plan's three ONNX files and the package's text files.
  const onnx = resolved(from).filter((path) => path.endsWith('.onnx'));
  expect([...new Set(onnx)].sort()).toEqual([
    'onnx/decoder_model_merged_quantized.onnx',
    'onnx/embed_tokens_fp16.onnx',
    'onnx/vision_encoder_int8.onnx',
  ]);
  expect(server.requests.slice(from).every((request) => !request.url.includes('/resolve/main/'))).toBe(true);
  expect(consoleErrors).toEqual([]);
});

test('corrupted CDN bytes are refused, naming the file, and nothing loads', async ({ page, context }) => {
  await routeHub(context);
  server.corrupt.add(`${DEFAULT}/${DECODER}`);
  await page.goto('/?backend=wasm');
  await page.getByTestId('first-run-download').click();
  await expect(page.getByTestId('error-banner')).toContainText(`${DECODER} did not match its checksum`, {
    timeout: 120_000,
  });
  await expect(page.getByTestId('model-status')).toHaveText('Error');
});

test('an interrupted download resumes with a range request and is verified', async ({ page, context }) => {
  await routeHub(context, { path: DECODER, bytes: 200_000 });
  await page.goto('/?backend=wasm');
  await page.getByTestId('first-run-download').click();
  await expect(page.getByTestId('model-status')).toHaveText('Error', { timeout: 120_000 });
  const from = server.cdnRequests.length;
  await page.getByTestId('model-picker').selectOption(DEFAULT);
  await page.getByTestId('hub-confirm').click();
  await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 120_000 });
  const decoder = server.cdnRequests.slice(from).filter((request) => request.url.endsWith(DECODER));
  expect(decoder.map((request) => request.range)).toEqual(['bytes=200000-']);
});
