import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/index';
import { badImages, emptyFile, notAnImage, type TestImage } from '../testing/bad-images';
import { decodeImageFile } from './image';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'glimpse-image-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A 5×3 picture whose left half is red and right half blue, opaque. */
function picture() {
  const rgb = new Uint8Array(5 * 3 * 3);
  for (let i = 0; i < 15; i++) rgb.set(i % 5 < 2 ? [255, 0, 0] : [0, 0, 255], i * 3);
  return sharp(rgb, { raw: { width: 5, height: 3, channels: 3 } });
}

describe('decodeImageFile', () => {
  for (const format of ['png', 'jpeg', 'webp'] as const) {
    it(`decodes ${format} to RGBA pixels`, async () => {
      const path = join(folder, `picture.${format}`);
      await writeFile(path, await picture().toFormat(format, { quality: 100 }).toBuffer());
      const image = await decodeImageFile(path);
      expect([image.width, image.height, image.data.length]).toEqual([5, 3, 60]);
      expect(image.data[3]).toBe(255);
      expect(image.data[0]).toBeGreaterThan(200);
      expect(image.data[4 * 4 + 2]).toBeGreaterThan(200);
    });
  }

  it('reports a file that is not an image as image-invalid', async () => {
    const path = join(folder, 'notes.txt');
    await writeFile(path, 'not a picture');
    await expect(decodeImageFile(path)).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof GlimpseError && err.code === 'image-invalid' && err.message.includes(path),
    );
  });

  async function write(image: TestImage): Promise<string> {
    const path = join(folder, image.name);
    await writeFile(path, image.buffer);
    return path;
  }

  async function failure(image: TestImage): Promise<GlimpseError> {
    const path = await write(image);
    const err = await decodeImageFile(path).catch((e: unknown) => e);
    if (!(err instanceof GlimpseError)) throw new Error(`expected a GlimpseError for ${image.name}`);
    expect(err.code).toBe('image-invalid');
    expect(err.details?.file).toBe(path);
    return err;
  }

  it('refuses a truncated JPEG as damaged', async () => {
    expect((await failure(await badImages.truncatedJpeg())).message).toMatch(/damaged/);
  });

  it('refuses a JPEG cut inside its header in one line that says it may be damaged', async () => {
    const whole = await badImages.truncatedJpeg();
    const cut = { ...whole, name: 'header-cut.jpg', buffer: whole.buffer.subarray(0, 200) };
    const { message } = await failure(cut);
    expect(message).toMatch(/damaged/);
    // libvips repeats its complaint once per attempt; the message says it once.
    expect(message).not.toContain('\n');
  });

  it('refuses a text file named .png and a 0-byte file, naming the formats it reads', async () => {
    expect((await failure(notAnImage)).message).toMatch(/JPEG, PNG, WebP or GIF/);
    expect((await failure(emptyFile)).message).toMatch(/JPEG, PNG, WebP or GIF/);
  });

  it('refuses an SVG rather than rasterising what it references', async () => {
    expect((await failure(badImages.svg())).message).toMatch(/SVG files are not read/);
  });

  it('refuses a picture that declares more pixels than it decodes, before decoding it', async () => {
    expect((await failure(badImages.pngBomb())).message).toMatch(/100000×100000 pixels/);
  });

  it('decodes a 10000×10000 PNG downscaled to 1024 a side', async () => {
    const image = await decodeImageFile(await write(badImages.hugePng()));
    expect([image.width, image.height]).toEqual([1024, 1024]);
    expect([...image.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    expect([...image.data.subarray(-4)]).toEqual([0, 0, 255, 255]);
  });

  it('honours EXIF orientation', async () => {
    const image = await decodeImageFile(await write(await badImages.rotatedJpeg()));
    expect([image.width, image.height]).toEqual([20, 40]);
    expect(image.data[0]).toBeGreaterThan(200);
    expect(image.data[image.data.length - 2]).toBeGreaterThan(200);
  });

  it('keeps transparency as alpha for the engine to flatten onto white', async () => {
    const image = await decodeImageFile(await write(await badImages.transparentPng()));
    expect([...image.data.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect([...image.data.subarray(4 * 4, 4 * 5)]).toEqual([0, 255, 0, 255]);
  });

  it('reads the first frame of an animated GIF', async () => {
    const image = await decodeImageFile(await write(await badImages.animatedGif()));
    expect([image.width, image.height]).toEqual([8, 8]);
    expect([...image.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
  });
});
