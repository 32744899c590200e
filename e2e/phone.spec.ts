/**
 * A phone's habits: sharing photos into the installed app through its share target (offline too), and the
 * camera (the system camera on a touch device, a live view with a shutter on a desktop with a webcam).
 * Phone screenshots are attached to the report.
 */
import { readFile } from 'node:fs/promises';
import { devices, type Page } from '@playwright/test';
import { expect, photoPath, secondPhotoPath, test } from './fixtures';

async function screenshot(page: Page, name: string): Promise<void> {
  await test.info().attach(name, { body: await page.screenshot(), contentType: 'image/png' });
}

test.describe('on a phone', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'Sharing and the camera do not depend on the backend.');
  const { defaultBrowserType: _, ...pixel } = devices['Pixel 7'];
  test.use(pixel);

  test('photos shared into the app through the service worker, offline, wait in the composer', async ({
    page,
    context,
  }) => {
    await page.goto('/?backend=wasm');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await screenshot(page, 'phone: empty chat');
    // The app's own Content-Security-Policy (form-action 'none') forbids it to post a form, as it should: the
    // share sheet posts from outside the app. A same-origin page without that policy stands in for it.
    await page.goto('/models/index.json');
    await context.setOffline(true);
    const photos = [
      { name: 'harbour.jpg', bytes: [...(await readFile(photoPath))] },
      { name: 'alps.jpg', bytes: [...(await readFile(secondPhotoPath))] },
    ];
    // The share sheet's POST, as the system sends it: multipart/form-data to the manifest's action.
    await page.evaluate((photos) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = '/share-target';
      form.enctype = 'multipart/form-data';
      const files = document.createElement('input');
      files.type = 'file';
      files.name = 'images';
      files.multiple = true;
      const transfer = new DataTransfer();
      for (const { name, bytes } of photos)
        transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
      files.files = transfer.files;
      const text = document.createElement('input');
      text.name = 'text';
      text.value = 'Which of these was taken by the sea?';
      form.append(files, text);
      document.body.append(form);
      form.submit();
    }, photos);
    await page.waitForURL((url) => url.pathname === '/' && !url.search.includes('share='));
    const attachments = page.getByTestId('attachment');
    await expect(attachments).toHaveCount(2);
    await expect(page.getByAltText('Attached: harbour.jpg')).toBeVisible();
    await expect(page.getByAltText('Attached: alps.jpg')).toBeVisible();
    await expect(page.getByTestId('prompt-input')).toHaveValue('Which of these was taken by the sea?');
    // Taken once: nothing shared stays behind in the cache.
    expect(await page.evaluate(async () => (await (await caches.open('glimpse-shared')).keys()).length)).toBe(
      0,
    );
    await screenshot(page, 'phone: share target result');
  });

  test('"Take photo" hands the system camera a capture input', async ({ page }) => {
    await page.goto('/?backend=wasm');
    const input = page.getByTestId('camera-input');
    await expect(input).toHaveAttribute('capture', 'environment');
    await expect(input).toHaveAttribute('accept', 'image/*');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await (await chooser).setFiles(photoPath);
    await expect(page.getByTestId('attachment')).toHaveCount(1);
  });
});

test.describe('on a desktop with a webcam', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'The camera does not depend on the backend.');

  test('the live view takes a photo; a refused camera is said in the dialog and the chat is untouched', async ({
    page,
    context,
    consoleErrors,
  }) => {
    await context.grantPermissions(['camera']);
    await page.goto('/?backend=wasm');
    const prompt = page.getByTestId('prompt-input');
    await prompt.fill('What is on the test card?');
    await page.getByRole('button', { name: 'Take photo' }).click();
    const dialog = page.getByTestId('camera-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('shutter')).toBeEnabled();
    await page.getByTestId('shutter').click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByTestId('attachment')).toHaveCount(1);
    await expect(page.getByTestId('attachment')).toContainText(/photo-.*\.jpg/);

    await context.clearPermissions();
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(dialog.getByRole('alert')).toContainText('may not use the camera');
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(prompt).toHaveValue('What is on the test card?');
    await expect(page.getByTestId('attachment')).toHaveCount(1);
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
    expect(consoleErrors).toEqual([]);
  });
});
