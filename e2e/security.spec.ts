import type { Page, Request } from '@playwright/test';
import { contentSecurityPolicy } from '../tools/vite/content-security-policy';
import { expect, openApp, photoPath, test } from './fixtures';

// The trace recorder fetches the page's blob: images itself, which the app's CSP reports as a violation.
test.use({ trace: 'off' });

/** Collects every Content-Security-Policy violation the page reports, from its first script on. */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const violations: string[] = [];
    Object.assign(window, { cspViolations: violations });
    document.addEventListener('securitypolicyviolation', (event) =>
      violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
}

function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const value: unknown = Reflect.get(window, 'cspViolations');
    return Array.isArray(value) ? value.map(String) : [];
  });
}

/** An export file holding one conversation whose answer tries every trick a model's text could hold. */
function hostileExport(): string {
  const answer = [
    'Here are the boats. <img src=x onerror="window.pwned = 1"> <script>window.pwned = 2</script>',
    '[Click for details](javascript:window.pwned=3) and [more](data:text/html,<script>window.pwned=4</script>)',
    '![tracking pixel](https://tracker.example/pixel.png)',
    '<a href="javascript:window.pwned=5">raw link</a> <iframe src="https://tracker.example/"></iframe>',
  ].join('\n\n');
  const now = Date.now();
  return JSON.stringify({
    format: 'glimpse-conversations',
    version: 1,
    conversations: [
      {
        id: 'hostile',
        title: 'Hostile answer',
        modelId: 'tiny-llava',
        createdAt: now,
        updatedAt: now,
        messages: [
          { id: 'q', role: 'user', text: 'What is in the picture?' },
          { id: 'a', role: 'assistant', text: answer },
        ],
      },
    ],
  });
}

test.describe('security', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'None of this depends on the backend.');

  test('the built page carries a strict CSP, which blocks inline script', async ({ page }) => {
    await recordViolations(page);
    await page.goto('/?backend=wasm');
    const meta = page.locator('meta[http-equiv="Content-Security-Policy"]');
    await expect(meta).toHaveAttribute('content', contentSecurityPolicy);
    expect(contentSecurityPolicy).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/);

    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    expect(await page.evaluate(() => Reflect.get(window, 'inlineRan'))).toBeUndefined();
    await expect.poll(() => violations(page)).toEqual([expect.stringMatching(/^script-src/)]);
  });

  test('once the model is ready, a whole chat makes no network request and breaks no CSP rule', async ({
    page,
    context,
    backend,
  }) => {
    await recordViolations(page);
    await openApp(page, backend, 4);
    // Let the service worker finish precaching the app shell first: that traffic belongs to the load.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const requests: string[] = [];
    const record = (request: Request) => requests.push(`${request.method()} ${request.url()}`);
    context.on('request', record);

    await page.getByTestId('image-input').setInputFiles(photoPath);
    await page.getByTestId('prompt-input').fill('What is in this picture?');
    await page.getByTestId('prompt-input').press('Enter');
    const answer = page.getByTestId('assistant-message');
    await expect(answer.first()).toHaveAttribute('data-state', 'done');
    await page.getByTestId('prompt-input').fill('And the colours?');
    await page.getByTestId('prompt-input').press('Enter');
    await expect(answer.nth(1)).toHaveAttribute('data-state', 'done');
    await page.getByTestId('new-chat').click();
    await page.getByTestId('prompt-input').fill('Hello');
    await page.getByTestId('prompt-input').press('Enter');
    await expect(answer.first()).toHaveAttribute('data-state', 'done');

    context.off('request', record);
    // Object URLs of the shown images stay inside the page; nothing else may leave it.
    expect(requests.filter((r) => !r.startsWith('GET blob:'))).toEqual([]);
    expect(await violations(page)).toEqual([]);
  });

  test('an answer holding HTML, script and javascript: links renders as inert text', async ({ page }) => {
    await recordViolations(page);
    const outbound: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('http://127.0.0.1')) outbound.push(request.url());
    });
    const dialogs: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.goto('/?backend=wasm');
    await page.getByRole('button', { name: 'Storage and data' }).click();
    await page.getByTestId('import-conversations').setInputFiles({
      name: 'conversations.json',
      mimeType: 'application/json',
      buffer: Buffer.from(hostileExport()),
    });
    await expect(page.getByText('Imported 1 conversation.')).toBeVisible();
    await page.getByRole('button', { name: 'Close storage' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).getByText('Hostile answer').click();

    const answer = page.getByTestId('assistant-message').locator('.answer');
    await expect(answer).toContainText('Here are the boats.');
    await expect(answer).toContainText('tracking pixel');
    await expect(answer.locator('img, script, iframe, [onerror]')).toHaveCount(0);
    const hrefs = await answer.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs.filter((href) => href && !/^(https?:|mailto:)/.test(href))).toEqual([]);
    await answer.getByText('Click for details').click();
    await answer.getByText('more', { exact: true }).click();

    expect(await page.evaluate(() => Reflect.get(window, 'pwned'))).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(outbound).toEqual([]);
    expect(await violations(page)).toEqual([]);
  });
});
