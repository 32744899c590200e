/** Decoding an image file (JPEG, PNG, WebP, GIF, …) to the RGBA pixels the engine takes. */
import sharp, { type Metadata } from 'sharp';
import type { RgbaImage } from '../engine/index';
import { GlimpseError } from '../engine/index';

/** No model of the family reads more than ~1k pixels a side; the app's page decoder uses the same bound. */
const maxSide = 1024;

/**
 * Above this many pixels a file is refused before decoding (sharp's own default, 16384²): a few kilobytes
 * of PNG can declare gigabytes of pixels. Anything below is decoded downscaled, never whole.
 */
const maxInputPixels = 0x3fff * 0x3fff;

/**
 * Raster formats only. SVG (and PDF) are refused: the model family reads photographs, and a vector file
 * can reference local files and other resources that rasterising would read.
 */
const rasterFormats: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * Decodes with EXIF orientation applied and only the first frame of an animation, downscaled so the longer
 * side is at most `maxSide`. Transparency is kept as alpha: the engine flattens it onto the preprocessor's
 * background (white). `source` is a file path or the file's bytes; `name` labels it in messages.
 */
export async function decodeImageFile(
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : 'image',
): Promise<RgbaImage> {
  const fail = (reason: string, cause?: unknown) =>
    new GlimpseError('image-invalid', `Cannot read the image ${name}: ${reason}`, {
      cause,
      details: { file: name },
    });
  let metadata: Metadata;
  try {
    metadata = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw fail(`${decoderMessage(err)}. It may be damaged, or not a JPEG, PNG, WebP or GIF file.`, err);
  }
  if (!rasterFormats.has(metadata.format)) {
    throw fail(`${metadata.format.toUpperCase()} files are not read; use a JPEG, PNG, WebP or GIF file.`);
  }
  if (metadata.width * metadata.height > maxInputPixels) {
    throw fail(
      `${metadata.width}×${metadata.height} pixels is more than Glimpse decodes; use a picture under 268 megapixels.`,
    );
  }
  try {
    const { data, info } = await sharp(source, { limitInputPixels: maxInputPixels, pages: 1 })
      .autoOrient()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (err) {
    throw fail(`${decoderMessage(err)}; the file may be damaged.`, err);
  }
}

/** libvips' message, its first line: the lines after it repeat what the decoder said, once per attempt. */
function decoderMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]?.trim() || 'the decoder gave no reason';
}
