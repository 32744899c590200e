import { expect, test } from './fixtures';

test.describe('storage that is full', () => {
  // The service worker's precache would need room too; this test is about the model download.
  test.use({ serviceWorkers: 'block' });

  test('a model that cannot fit is refused with the storage message, and loads once there is room', async ({
    page,
    context,
    backend,
    baseURL,
  }) => {
    test.skip(backend !== 'wasm', 'Storage does not depend on the backend.');
    const cdp = await context.newCDPSession(page);
    const origin = new URL(baseURL ?? '').origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 64 * 1024 });

    await page.goto('/?model=tiny-llava&backend=wasm');
    const banner = page.getByTestId('error-banner');
    await expect(banner).toHaveAttribute('data-code', 'quota-exceeded');
    await expect(banner).toContainText('Not enough storage');
    // The rest of the app still works: settings open, a draft can be written.
    await page.getByTestId('prompt-input').fill('Kept while storage is full');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Close settings' }).click();
    await expect(page.getByTestId('prompt-input')).toHaveValue('Kept while storage is full');

    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveText('Ready');
    await expect(banner).toHaveCount(0);
  });
});
