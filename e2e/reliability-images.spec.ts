import { build } from 'esbuild';
import { badImages, emptyFile, notAnImage, type TestImage } from '../src/testing/bad-images';
import { expect, openApp, photoPath, test } from './fixtures';

// The trace recorder fetches the page's blob: images itself, which the app's CSP reports as a violation.
test.use({ trace: 'off' });

interface Decoded {
  readonly width: number;
  readonly height: number;
  readonly first: number[];
  readonly last: number[];
  readonly ms: number;
}

type Outcome = Decoded | { readonly code: string; readonly message: string };

/** The page decoder as the app bundles it, for a blank page that has no Content-Security-Policy. */
async function decoderScript(): Promise<string> {
  const result = await build({
    entryPoints: ['src/ui/image/decode-image.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'glimpseImage',
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

test.describe('decoding images on the page', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'Decoding images does not depend on the backend.');

  let script = '';
  test.beforeAll(async () => {
    script = await decoderScript();
  });

  async function decode(page: import('@playwright/test').Page, image: TestImage): Promise<Outcome> {
    return page.evaluate(
      async ({ base64, type, name }) => {
        const decodeImage: unknown = Reflect.get(Reflect.get(window, 'glimpseImage'), 'decodeImage');
        if (typeof decodeImage !== 'function') throw new Error('decoder not loaded');
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const start = performance.now();
        try {
          const image = await decodeImage(new File([bytes], name, { type }));
          const data: Uint8ClampedArray = image.data;
          return {
            width: image.width,
            height: image.height,
            first: [...data.subarray(0, 4)],
            last: [...data.subarray(-4)],
            ms: Math.round(performance.now() - start),
          };
        } catch (err) {
          return {
            code: String(Reflect.get(Object(err), 'code')),
            message: String(Reflect.get(Object(err), 'message')),
          };
        }
      },
      { base64: image.buffer.toString('base64'), type: image.mimeType, name: image.name },
    );
  }

  test.beforeEach(async ({ page }) => {
    await page.goto('about:blank');
    await page.addScriptTag({ content: script });
  });

  test('refuses a truncated JPEG, a text file named .png, a 0-byte file, an SVG and a pixel bomb', async ({
    page,
  }) => {
    const cases: [TestImage, RegExp][] = [
      [await badImages.truncatedJpeg(), /damaged/],
      [notAnImage, /not an image/],
      [emptyFile, /empty/],
      [badImages.svg(), /JPEG, PNG, WebP and GIF/],
      [badImages.pngBomb(), /100000×100000 pixels/],
    ];
    for (const [image, message] of cases) {
      const outcome = await decode(page, image);
      expect(outcome, image.name).toMatchObject({
        code: 'image-invalid',
        message: expect.stringMatching(message),
      });
    }
    expect(await page.evaluate(() => Reflect.get(window, 'svgRan'))).toBeUndefined();
  });

  test('decodes a 10000×10000 PNG straight to 1024 a side', async ({ page }) => {
    const outcome = await decode(page, badImages.hugePng());
    expect(outcome).toMatchObject({
      width: 1024,
      height: 1024,
      first: [255, 0, 0, 255],
      last: [0, 0, 255, 255],
    });
    console.log(`10000×10000 PNG decoded to 1024×1024 in ${'ms' in outcome ? outcome.ms : '?'} ms`);
  });

  test('honours EXIF orientation, flattens transparency onto white and reads a GIF’s first frame', async ({
    page,
  }) => {
    const rotated = await decode(page, await badImages.rotatedJpeg());
    expect(rotated).toMatchObject({ width: 20, height: 40 });
    if (!('first' in rotated)) throw new Error(rotated.message);
    // Red on top, blue below (JPEG leaves the colours a little off).
    expect(rotated.first[0]).toBeGreaterThan(200);
    expect(rotated.last[2]).toBeGreaterThan(200);

    expect(await decode(page, await badImages.transparentPng())).toMatchObject({
      first: [255, 255, 255, 255],
      last: [0, 255, 0, 255],
    });
    expect(await decode(page, await badImages.animatedGif())).toMatchObject({
      width: 8,
      height: 8,
      first: [255, 0, 0, 255],
      last: [255, 0, 0, 255],
    });
  });
});

test.describe('a bad image in the app', () => {
  test.skip(({ backend }) => backend !== 'wasm', 'Refusing an image does not depend on the backend.');

  test('is refused as soon as it is attached, never shown, the question stays, and a good photo then works', async ({
    page,
    backend,
    consoleErrors,
  }) => {
    await openApp(page, backend, 4);
    const prompt = page.getByTestId('prompt-input');
    const banner = page.getByTestId('error-banner');
    await prompt.fill('What is in it?');
    for (const image of [await badImages.truncatedJpeg(), notAnImage, emptyFile, badImages.svg()]) {
      await page.getByTestId('image-input').setInputFiles({
        name: image.name,
        mimeType: image.mimeType,
        buffer: image.buffer,
      });
      await expect(banner).toHaveAttribute('data-code', 'image-invalid');
      await expect(banner).toContainText(image.name);
      await expect(page.getByTestId('attachment')).toHaveCount(0);
      await expect(prompt).toHaveValue('What is in it?');
      await banner.getByRole('button', { name: 'Dismiss' }).click();
    }
    await expect(page.getByTestId('user-message')).toHaveCount(0);

    await page.getByTestId('image-input').setInputFiles(photoPath);
    await expect(page.getByTestId('attachment')).toHaveCount(1);
    await prompt.press('Enter');
    await expect(page.getByTestId('user-message')).toHaveCount(1);
    await expect(page.getByTestId('assistant-message').first()).toHaveAttribute('data-state', 'done');
    await expect(banner).toHaveCount(0);
    // Chromium logs nothing for a refused image: the failures above were all handled.
    expect(consoleErrors).toEqual([]);
  });
});
