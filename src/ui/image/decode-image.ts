import type { RgbaImage } from '../../engine/types';
import { GlimpseError } from '../../state/errors';
import { displaySize, headerBytes, readImageHeader } from './image-header';

export const acceptedImageTypes = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

/** No model of the family reads more than ~1k pixels a side; a larger photo is decoded downscaled. */
const maxSide = 1024;

/**
 * A header that declares more pixels than this is refused before decoding (the CLI's sharp limit, 16384²):
 * a few kilobytes of PNG can declare gigabytes of pixels.
 */
const maxPixels = 0x3fff * 0x3fff;

/** Transparent pixels are flattened onto white, the background people expect behind a cut-out. */
const background = '#ffffff';

const acceptedMessage = 'Glimpse reads JPEG, PNG, WebP and GIF images. Choose one of those.';

/**
 * An SVG is refused even though browsers can draw one: the model family reads photographs, and a vector
 * file can reference other resources. Other types are judged by the file's own bytes in `decodeImage`.
 */
export function isAcceptedImage(file: Blob): boolean {
  return acceptedImageTypes.some((type) => type === file.type);
}

/**
 * Decodes an image file on the page into RGBA pixels: EXIF orientation applied, a GIF's first frame,
 * transparency flattened onto white, the longer side at most `maxSide`. The format and size come from the
 * file's header, so a text file named .png is refused as no image and a huge photo is decoded straight to
 * the smaller size rather than whole.
 */
export async function decodeImage(blob: Blob): Promise<RgbaImage> {
  if (!isAcceptedImage(blob)) {
    throw new GlimpseError('image-invalid', acceptedMessage, { details: { type: blob.type || 'unknown' } });
  }
  if (blob.size === 0)
    throw new GlimpseError('image-invalid', 'This image file is empty. Choose another image.');
  const header = readImageHeader(new Uint8Array(await blob.slice(0, headerBytes).arrayBuffer()));
  if (!header) {
    throw new GlimpseError('image-invalid', `This file is not an image. ${acceptedMessage}`, {
      details: { type: blob.type },
    });
  }
  if (header.width * header.height > maxPixels) {
    throw new GlimpseError(
      'image-invalid',
      `This image is ${header.width}×${header.height} pixels, more than Glimpse can decode. Choose a picture under 268 megapixels.`,
      { details: { width: header.width, height: header.height } },
    );
  }
  const shown = displaySize(header);
  const scale = Math.min(1, maxSide / Math.max(shown.width, shown.height));
  // The resize is given in displayed (oriented) pixels, as Chromium applies it after the orientation.
  const resize =
    scale < 1
      ? {
          resizeWidth: Math.max(1, Math.round(shown.width * scale)),
          resizeHeight: Math.max(1, Math.round(shown.height * scale)),
          resizeQuality: 'high' as const,
        }
      : {};
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', ...resize });
  } catch (cause) {
    throw new GlimpseError(
      'image-invalid',
      'This image could not be decoded; it may be damaged. Choose another.',
      {
        cause,
      },
    );
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new GlimpseError('internal', 'This browser cannot draw images off-screen.');
    context.fillStyle = background;
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, width, height);
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}
