import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, photoPath, test } from './fixtures';

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
      await page.getByRole('button', { name: 'Remove image' }).click();
      await expect(preview).toHaveCount(0);
      expect(consoleErrors).toEqual([]);
    });
  }

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
