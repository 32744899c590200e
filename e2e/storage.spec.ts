import type { BrowserContext, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const modelId = 'tiny-llava';
const modelUrl = `/models/${modelId}/`;

interface StoredFile {
  readonly size: number;
  readonly sha256: string;
}

/** Size and sha256 of one model file as it lies in OPFS (src/storage/model-storage.ts layout). */
function storedFile(page: Page, path: string): Promise<StoredFile | undefined> {
  return page.evaluate(
    async ({ folder, path }) => {
      try {
        let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('glimpse-models');
        for (const part of [folder, 'files', ...path.split('/').slice(0, -1)])
          dir = await dir.getDirectoryHandle(part);
        const file = await (await dir.getFileHandle(path.split('/').at(-1) ?? '')).getFile();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
        return {
          size: file.size,
          sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
        };
      } catch {
        return undefined;
      }
    },
    { folder: encodeURIComponent(modelId), path },
  );
}

/** The sha256 of each file of the package, as the server lists them. */
async function publishedDigests(page: Page): Promise<Map<string, string>> {
  const index: { models: { id: string; files: { path: string; sha256: string }[] }[] } = await (
    await page.request.get('/models/index.json')
  ).json();
  const files = index.models.find((m) => m.id === modelId)?.files ?? [];
  return new Map(files.map((f) => [f.path, f.sha256]));
}

/** Records every request for an .onnx file of the model: its path in the package and its Range header. */
async function recordModelRequests(context: BrowserContext) {
  const requests: { path: string; range: string | undefined }[] = [];
  await context.route(`**${modelUrl}onnx/*.onnx`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(modelUrl.length);
    requests.push({ path, range: route.request().headers().range });
    await route.fallback();
  });
  return requests;
}

test.describe('model storage', () => {
  // Requests must reach the routes from the page's worker, not be answered by a service worker.
  test.use({ serviceWorkers: 'block' });
  test.beforeEach(({ backend }) => {
    test.skip(backend !== 'wasm', 'Storage does not depend on the backend; the wasm run is the fast one.');
  });

  test('an interrupted download resumes from the stored byte count', async ({ page, context }) => {
    test.slow();
    let cut: { path: string; sent: number } | undefined;
    // Registered before the recorder, so it runs after it (the last route registered runs first).
    await context.route(`**${modelUrl}onnx/*.onnx`, async (route) => {
      if (cut) return route.fallback();
      const path = new URL(route.request().url()).pathname.slice(modelUrl.length);
      const response = await route.fetch();
      const body = await response.body();
      cut = { path, sent: Math.floor(body.byteLength / 2) };
      // The full Content-Length with half the body: the connection drops halfway through the file.
      await route.fulfill({ status: 200, headers: response.headers(), body: body.subarray(0, cut.sent) });
    });
    const requests = await recordModelRequests(context);

    await page.goto(`/?model=${modelId}&backend=wasm`);
    await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'download-failed');
    const broken = cut;
    if (!broken) throw new Error('no model file was requested');
    expect((await storedFile(page, broken.path))?.size).toBe(broken.sent);

    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 150_000 });
    const retries = requests.filter((r) => r.path === broken.path);
    expect(retries.at(-1)?.range).toBe(`bytes=${broken.sent}-`);
    expect((await storedFile(page, broken.path))?.sha256).toBe(
      (await publishedDigests(page)).get(broken.path),
    );
  });

  test('a corrupted stored file is downloaded again, and the storage panel deletes the model', async ({
    page,
    context,
    backend,
  }) => {
    test.slow();
    await openApp(page, backend, 8);
    const digests = await publishedDigests(page);
    const stored: string[] = [];
    for (const path of digests.keys())
      if (path.endsWith('.onnx') && (await storedFile(page, path))) stored.push(path);
    const victim = stored[0];
    if (!victim) throw new Error('no model file was stored');

    // The file is rewritten with 256 bytes zeroed. (An in-place write with keepExistingData would keep
    // the file's lastModified in Chromium, and the cache re-hashes a file only when that changes.)
    await page.evaluate(
      async ({ folder, path }) => {
        let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('glimpse-models');
        for (const part of [folder, 'files', ...path.split('/').slice(0, -1)])
          dir = await dir.getDirectoryHandle(part);
        const handle = await dir.getFileHandle(path.split('/').at(-1) ?? '');
        const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
        bytes.fill(0, 64, 320);
        const writable = await handle.createWritable();
        await writable.write(bytes);
        await writable.close();
      },
      { folder: encodeURIComponent(modelId), path: victim },
    );
    expect((await storedFile(page, victim))?.sha256).not.toBe(digests.get(victim));

    const requests = await recordModelRequests(context);
    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveText('Ready', { timeout: 150_000 });
    expect(requests.map((r) => r.path)).toContain(victim);
    expect((await storedFile(page, victim))?.sha256).toBe(digests.get(victim));

    await page.getByRole('button', { name: 'Storage and data' }).click();
    const row = page.getByTestId('cached-model');
    await expect(row).toHaveAttribute('data-model-id', modelId);
    await expect(page.getByTestId('storage-quota')).toContainText('left');
    await row.getByRole('button', { name: `Delete ${modelId}` }).click();
    await row.getByRole('button', { name: /^Delete \d/ }).click();
    await expect(row).toHaveCount(0);
    expect(await storedFile(page, victim)).toBeUndefined();
  });
});

test('the manifest and service worker leave Chromium with no installability errors', async ({
  playwright,
  launchOptions,
  baseURL,
  backend,
}, testInfo) => {
  test.skip(backend !== 'wasm', 'Installability does not depend on the backend.');
  // A real profile: Chromium reports every incognito context, as test contexts are, as not installable.
  const context = await playwright.chromium.launchPersistentContext(testInfo.outputPath('profile'), {
    ...launchOptions,
    baseURL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const manifest = await (await page.request.get('/manifest.webmanifest')).json();
    expect(manifest).toMatchObject({ name: 'Glimpse', display: 'standalone' });
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
  }
});
