import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { badImages, emptyFile, notAnImage } from '../../testing/bad-images';
import { displaySize, readImageHeader } from './image-header';

const picture = (channels: 3 | 4) =>
  sharp({ create: { width: 300, height: 7, channels, background: { r: 9, g: 99, b: 199, alpha: 0.5 } } });

describe('readImageHeader', () => {
  it('reads format and size from the bytes of each raster format, lossy and lossless', async () => {
    const files = {
      jpeg: await picture(3).jpeg().toBuffer(),
      png: await picture(4).png().toBuffer(),
      gif: await picture(3).gif().toBuffer(),
      'webp lossy': await picture(3).webp().toBuffer(),
      'webp lossless': await picture(3).webp({ lossless: true }).toBuffer(),
      'webp with alpha': await picture(4).webp().toBuffer(),
    };
    for (const [kind, bytes] of Object.entries(files)) {
      expect(readImageHeader(bytes), kind).toEqual({
        format: kind.split(' ')[0],
        width: 300,
        height: 7,
        orientation: 1,
      });
    }
  });

  it('finds the JPEG frame after a large EXIF segment and reads its orientation', async () => {
    const rotated = await badImages.rotatedJpeg();
    const header = readImageHeader(rotated.buffer);
    expect(header).toEqual({ format: 'jpeg', width: 40, height: 20, orientation: 6 });
    expect(header && displaySize(header)).toEqual({ width: 20, height: 40 });
    const bigExif = await sharp(await picture(3).png().toBuffer())
      .jpeg()
      .withExif({ IFD0: { ImageDescription: 'x'.repeat(60_000) } })
      .withMetadata({ orientation: 8 })
      .toBuffer();
    expect(readImageHeader(bigExif)).toEqual({ format: 'jpeg', width: 300, height: 7, orientation: 8 });
  });

  it('reads the declared size of a PNG bomb without decoding it', () => {
    expect(readImageHeader(badImages.pngBomb().buffer)).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it('finds no image in text, an empty file, an SVG or a JPEG cut before its frame header', async () => {
    const jpeg = await picture(3).jpeg().toBuffer();
    for (const bytes of [notAnImage.buffer, emptyFile.buffer, badImages.svg().buffer, jpeg.subarray(0, 20)])
      expect(readImageHeader(bytes)).toBeUndefined();
  });
});
