import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, photoPath, secondPhotoPath, test } from './fixtures';

/** Hands the page a File built from the photograph's bytes, as a drop or a paste would. */
async function dispatchWithImage(page: Page, kind: 'drop' | 'paste') {
  const bytes = [...(await readFile(photoPath))];
  await page.evaluate(
    ({ bytes, kind }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'boats.jpg', { type: 'image/jpeg' }));
      if (kind === 'drop') {
        window.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, cancelable: true }));
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
      } else {
        window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, cancelable: true }));
      }
    },
    { bytes, kind },
  );
}

test.describe('adding an image', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'Attaching does not depend on the backend.');

  for (const kind of ['drop', 'paste'] as const) {
    test(`by ${kind} shows a preview that can be removed`, async ({ page, consoleErrors }) => {
      await page.goto('/?backend=wasm');
      await dispatchWithImage(page, kind);
      const preview = page.getByAltText('Attached: boats.jpg');
      await expect(preview).toBeVisible();
      await page.getByRole('button', { name: 'Remove boats.jpg' }).click();
      await expect(preview).toHaveCount(0);
      expect(consoleErrors).toEqual([]);
    });
  }

  test('takes several images at once, shows each with its own remove button, and keeps the rest', async ({
    page,
  }) => {
    await page.goto('/?backend=wasm');
    await page.getByTestId('image-input').setInputFiles([photoPath, secondPhotoPath]);
    const attachments = page.getByTestId('attachment');
    await expect(attachments).toHaveCount(2);
    await dispatchWithImage(page, 'paste');
    await expect(attachments).toHaveCount(3);
    await expect(attachments.nth(1)).toContainText('image.jpg');
    await expect(attachments.nth(2)).toContainText('boats.jpg');
    for (const thumb of await page.locator('[data-testid="attachment"] img').all())
      expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(
        true,
      );
    await page.getByRole('button', { name: 'Remove boats.jpg' }).click();
    await expect(attachments).toHaveCount(2);
    await expect(page.getByTestId('prompt-input')).toHaveAttribute('placeholder', 'Ask about these images…');
  });

  test('refuses a file that is not an image, saying which types work', async ({ page }) => {
    await page.goto('/?backend=wasm');
    await page.getByTestId('image-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not an image'),
    });
    await expect(page.getByTestId('error-banner')).toContainText('JPEG, PNG, WebP and GIF');
  });
});
