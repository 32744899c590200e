/**
 * Resizing of 8-bit RGB pixels, done the way Pillow does it (libImaging/Resample.c), so that pixel_values
 * match the Python pipeline: a separable convolution whose filter support grows with the downscale factor
 * (antialiasing), fixed-point weights with 22 fractional bits, a horizontal pass then a vertical pass, and a
 * rounding to 0–255 after each. Nearest is Pillow's affine sampling at pixel centres.
 */
import type { Resample } from './preprocess-config';

/** Interleaved RGB, 3 bytes per pixel, row-major. */
export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

interface Filter {
  readonly support: number;
  readonly weight: (x: number) => number;
}

const FILTERS: Readonly<Record<Exclude<Resample, 'nearest'>, Filter>> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
  // Keys' cubic with a = -0.5, as Pillow's BICUBIC.
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

export function resizeRgb(image: RgbPixels, width: number, height: number, resample: Resample): RgbPixels {
  if (image.width === width && image.height === height) return image;
  if (resample === 'nearest') return resizeNearest(image, width, height);
  const filter = FILTERS[resample];
  const horizontal = image.width === width ? image : resizeHorizontal(image, width, filter);
  return horizontal.height === height ? horizontal : resizeVertical(horizontal, height, filter);
}

/** For each output position: the first input index, and fixed-point weights over the following inputs. */
interface Coefficients {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly size: number;
  readonly weights: Int32Array;
}

function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const raw = new Float64Array(size);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const min = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - min;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = filter.weight((i + min - center + 0.5) / filterScale);
      raw[i] = w;
      total += w;
    }
    for (let i = 0; i < n; i++) {
      const w = total === 0 ? (raw[i] ?? 0) : (raw[i] ?? 0) / total;
      weights[out * size + i] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
    first[out] = min;
    count[out] = n;
  }
  return { first, count, size, weights };
}

function clip8(sum: number): number {
  if (sum >= 255 * ONE) return 255;
  if (sum <= 0) return 0;
  return Math.floor(sum / ONE);
}

function resizeHorizontal(image: RgbPixels, width: number, filter: Filter): RgbPixels {
  const { first, count, size, weights } = coefficients(image.width, width, filter);
  const out = new Uint8Array(width * image.height * 3);
  const src = image.data;
  for (let y = 0; y < image.height; y++) {
    const row = y * image.width * 3;
    for (let x = 0; x < width; x++) {
      const start = first[x] ?? 0;
      const n = count[x] ?? 0;
      const k = x * size;
      let r = ONE / 2;
      let g = ONE / 2;
      let b = ONE / 2;
      for (let i = 0; i < n; i++) {
        const w = weights[k + i] ?? 0;
        const p = row + (start + i) * 3;
        r += (src[p] ?? 0) * w;
        g += (src[p + 1] ?? 0) * w;
        b += (src[p + 2] ?? 0) * w;
      }
      const o = (y * width + x) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { width, height: image.height, data: out };
}

function resizeVertical(image: RgbPixels, height: number, filter: Filter): RgbPixels {
  const { first, count, size, weights } = coefficients(image.height, height, filter);
  const stride = image.width * 3;
  const out = new Uint8Array(stride * height);
  const src = image.data;
  for (let y = 0; y < height; y++) {
    const start = first[y] ?? 0;
    const n = count[y] ?? 0;
    const k = y * size;
    for (let c = 0; c < stride; c++) {
      let sum = ONE / 2;
      for (let i = 0; i < n; i++) sum += (src[(start + i) * stride + c] ?? 0) * (weights[k + i] ?? 0);
      out[y * stride + c] = clip8(sum);
    }
  }
  return { width: image.width, height, data: out };
}

function resizeNearest(image: RgbPixels, width: number, height: number): RgbPixels {
  const out = new Uint8Array(width * height * 3);
  const xScale = image.width / width;
  const yScale = image.height / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.trunc((y + 0.5) * yScale), image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.trunc((x + 0.5) * xScale), image.width - 1);
      out.set(
        image.data.subarray((sy * image.width + sx) * 3, (sy * image.width + sx) * 3 + 3),
        (y * width + x) * 3,
      );
    }
  }
  return { width, height, data: out };
}
