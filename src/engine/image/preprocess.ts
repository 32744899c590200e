/**
 * RGBA pixels decoded by the host → `pixel_values` [1, 3, H, W], as the Hugging Face image processors make
 * them: transparency flattened onto the background, pad / resize / crop on 8-bit pixels (resample.ts follows
 * Pillow), then rescale and normalise in float32 arithmetic as numpy does.
 */
import { GlimpseError } from '../errors';
import type { RgbaImage } from '../types';
import type { ImagePreprocessSpec, Rgb } from './preprocess-config';
import { type RgbPixels, resizeRgb } from './resample';

export interface PixelValues {
  readonly data: Float32Array;
  readonly dims: [1, 3, number, number];
}

export function preprocessImage(image: RgbaImage, spec: ImagePreprocessSpec): PixelValues {
  const rgb = flattenAlpha(image, spec.background);
  let sized: RgbPixels;
  switch (spec.mode) {
    case 'pad-square-then-resize': {
      const square = padToSquare(rgb, spec.padColor);
      sized = centerCrop(
        resizeRgb(square, spec.shortestEdge, spec.shortestEdge, spec.resample),
        spec.width,
        spec.height,
      );
      break;
    }
    case 'shortest-edge-then-center-crop': {
      const { width, height } = shortestEdgeSize(rgb, spec.shortestEdge);
      sized = centerCrop(resizeRgb(rgb, width, height, spec.resample), spec.width, spec.height);
      break;
    }
    case 'resize':
      sized = resizeRgb(rgb, spec.width, spec.height, spec.resample);
      break;
  }
  return { data: normalize(sized, spec), dims: [1, 3, sized.height, sized.width] };
}

/** Composites each pixel onto `background` by its alpha; an opaque image comes through unchanged. */
export function flattenAlpha(image: RgbaImage, background: Rgb): RgbPixels {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new GlimpseError('image-invalid', `The image has no pixels (${width}×${height}).`);
  }
  if (data.length !== width * height * 4) {
    throw new GlimpseError(
      'image-invalid',
      `The image data holds ${data.length} bytes, not the ${width * height * 4} of ${width}×${height} RGBA pixels.`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
    const alpha = data[i + 3] ?? 255;
    for (let c = 0; c < 3; c++) {
      const value = data[i + c] ?? 0;
      out[o + c] =
        alpha === 255 ? value : Math.round((value * alpha + (background[c] ?? 255) * (255 - alpha)) / 255);
    }
  }
  return { width, height, data: out };
}

/** LLaVA's expand2square: the image centred (rounded towards the top left) on a square of `color`. */
function padToSquare(image: RgbPixels, color: Rgb): RgbPixels {
  const side = Math.max(image.width, image.height);
  if (image.width === image.height) return image;
  const out = new Uint8Array(side * side * 3);
  for (let i = 0; i < out.length; i += 3) out.set(color, i);
  const top = Math.floor((side - image.height) / 2);
  const left = Math.floor((side - image.width) / 2);
  const rowBytes = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    out.set(image.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((top + y) * side + left) * 3);
  }
  return { width: side, height: side, data: out };
}

/** transformers' get_resize_output_image_size with default_to_square=False: the long edge truncated. */
export function shortestEdgeSize(
  image: { width: number; height: number },
  edge: number,
): {
  width: number;
  height: number;
} {
  if (image.width <= image.height)
    return { width: edge, height: Math.trunc((edge * image.height) / image.width) };
  return { width: Math.trunc((edge * image.width) / image.height), height: edge };
}

/** transformers' center_crop: offset ⌊(size − crop) / 2⌋; where the crop passes the edge, zeros. */
function centerCrop(image: RgbPixels, width: number, height: number): RgbPixels {
  if (image.width === width && image.height === height) return image;
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const s = (sy * image.width + sx) * 3;
      out.set(image.data.subarray(s, s + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data: out };
}

/** Channel-first float32: fround(fround(v · factor) − mean) / std, each step rounded to float32 as numpy does. */
function normalize(image: RgbPixels, spec: ImagePreprocessSpec): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(spec.mean[c] ?? 0);
    const std = Math.fround(spec.std[c] ?? 1);
    const lookup = new Float32Array(256);
    for (let v = 0; v < 256; v++) lookup[v] = Math.fround(Math.fround(v * spec.rescaleFactor) - mean) / std;
    for (let i = 0; i < plane; i++) out[c * plane + i] = lookup[image.data[i * 3 + c] ?? 0] ?? 0;
  }
  return out;
}
