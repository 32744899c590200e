import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../errors';
import type { RgbaImage } from '../types';
import { flattenAlpha, preprocessImage } from './preprocess';
import { parseImagePreprocessSpec } from './preprocess-config';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

function rgba(width: number, height: number, pixels: readonly (readonly number[])[]): RgbaImage {
  return { width, height, data: Uint8Array.from(pixels.flatMap((p) => (p.length === 3 ? [...p, 255] : p))) };
}

/** The 7×5 pattern of resample.test.ts, opaque. */
function pattern(): RgbaImage {
  const pixels: number[][] = [];
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 7; x++) {
      pixels.push([
        (37 * x + 11 * y * y) % 256,
        (((200 - 23 * x + 41 * y) % 256) + 256) % 256,
        (x * y * 19 + 5) % 256,
      ]);
    }
  }
  return rgba(7, 5, pixels);
}

/** Float32 values, channel-first; the tolerance covers rounding of the hand arithmetic only. */
function expectTensor(actual: Float32Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => {
    expect(actual[i]).toBeCloseTo(value, 5);
  });
}

describe('preprocessImage, hand-computed', () => {
  it('pads a 3×2 image to a square with the mean colour, below the image (LLaVA pad)', () => {
    // mean = std = 0.5: value v becomes 2v/255 − 1; the padding is int(0.5 · 255) = 127 → −1/255.
    const spec = parseImagePreprocessSpec(
      { size: { height: 3, width: 3 }, resample: 3, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
      { image_aspect_ratio: 'pad' },
    );
    const image = rgba(3, 2, [
      [0, 255, 51],
      [255, 0, 51],
      [51, 51, 51],
      [0, 0, 0],
      [255, 255, 255],
      [102, 153, 204],
    ]);
    const { data, dims } = preprocessImage(image, spec);
    expect(dims).toEqual([1, 3, 3, 3]);
    const p = -1 / 255;
    expectTensor(data, [
      // red
      -1,
      1,
      -0.6,
      -1,
      1,
      -0.2,
      p,
      p,
      p,
      // green
      1,
      -1,
      -0.6,
      -1,
      1,
      0.2,
      p,
      p,
      p,
      // blue
      -0.6,
      -0.6,
      -0.6,
      -1,
      1,
      0.6,
      p,
      p,
      p,
    ]);
  });

  it('takes the centre of a 4×6 image whose shortest edge already fits (CLIP crop)', () => {
    // shortest_edge 4 leaves 4×6 as it is; a 2×2 crop starts at row ⌊(6−2)/2⌋ = 2, column ⌊(4−2)/2⌋ = 1.
    const spec = parseImagePreprocessSpec({
      size: { shortest_edge: 4 },
      crop_size: { height: 2, width: 2 },
      do_center_crop: true,
      resample: 3,
      image_mean: CLIP_MEAN,
      image_std: CLIP_STD,
    });
    const pixels = Array.from({ length: 24 }, (_, i) => [i * 10, 255 - i * 10, 128]);
    const { data, dims } = preprocessImage(rgba(4, 6, pixels), spec);
    expect(dims).toEqual([1, 3, 2, 2]);
    // Kept pixels: indices 9, 10 (row 2) and 13, 14 (row 3).
    const channel = (values: number[], c: number) =>
      values.map((v) => (v / 255 - (CLIP_MEAN[c] ?? 0)) / (CLIP_STD[c] ?? 1));
    expectTensor(data, [
      ...channel([90, 100, 130, 140], 0),
      ...channel([165, 155, 125, 115], 1),
      ...channel([128, 128, 128, 128], 2),
    ]);
  });
});

describe('preprocessImage, against the Python pipeline (Pillow + numpy float32, bit for bit)', () => {
  it('pad to square with the CLIP mean colour, bicubic to 4×4 (LLaVA-1.5)', () => {
    const spec = parseImagePreprocessSpec(
      {
        size: { shortest_edge: 4 },
        crop_size: { height: 4, width: 4 },
        resample: 3,
        image_mean: CLIP_MEAN,
        image_std: CLIP_STD,
      },
      { image_aspect_ratio: 'pad' },
    );
    expect(spec.mode).toBe('pad-square-then-resize');
    expect(preprocessImage(pattern(), spec).data).toEqual(
      Float32Array.from([
        -0.72657734, -0.33241987, 0.12013142, 0.6018794, -1.4273019, -0.4638057, 0.68947, 0.9814385,
        -0.06964822, 0.67487156, 0.76246214, -0.7119789, 0.54348576, 0.41209993, -0.47840413, 0.0033439053,
        0.6191303, 0.22892839, -0.08623484, -0.3413669, 0.7241847, 1.1293944, 0.6341381, -0.07122707,
        -1.1667942, -0.10124261, 1.2644643, 1.2044332, -0.10124261, -0.49144456, -0.38639018, 0.8442468,
        -0.6412359, -0.65545595, -0.68389606, -0.71233624, -1.3522393, -0.882977, -0.2857342, 0.26884836,
        -1.1247182, 0.36838892, 0.93719155, 0.4252692, -0.4421549, 0.48214942, 0.0839875, 0.3257286,
      ]),
    );
  });

  it('shortest edge 4 (to 5×4, bicubic), centre crop 3×3 (CLIPImageProcessor)', () => {
    const spec = parseImagePreprocessSpec({
      size: { shortest_edge: 4 },
      crop_size: { height: 3, width: 3 },
      resample: 3,
      image_mean: CLIP_MEAN,
      image_std: CLIP_STD,
    });
    expect(preprocessImage(pattern(), spec).data).toEqual(
      Float32Array.from([
        -0.94555384, -0.1718372, 0.6018794, -0.6389868, 0.12013142, 1.0690291, 0.17852512, 1.1858164,
        0.8792495, 0.8742624, 0.28895944, -0.1912892, 1.0393478, 1.1744177, 0.55909926, -0.8066077, 1.6996895,
        1.4595653, -1.3522393, -1.2953589, -1.2526988, -0.8403168, -0.31417432, 0.31150854, -0.29995427,
        0.8660912, 0.8660912,
      ]),
    );
  });

  it('fixed 6×3 bilinear resize with mean = std = 0.5 (SiglipImageProcessor)', () => {
    const spec = parseImagePreprocessSpec({
      size: { height: 3, width: 6 },
      resample: 2,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    });
    const { data, dims } = preprocessImage(pattern(), spec);
    expect(dims).toEqual([1, 3, 3, 6]);
    expect(data).toEqual(
      Float32Array.from([
        -0.90588236, -0.5764706, -0.25490195, 0.07450986, 0.39607847, 0.7254902, -0.56078434, -0.23137254,
        0.09019613, 0.41960788, 0.43529415, -0.2862745, 0.17647064, 0.5058824, 0.32549024, 0.011764765,
        -0.26274508, -0.19999999, 0.6784314, 0.47450984, 0.27058828, 0.06666672, -0.1372549, -0.34117645,
        -0.38039213, -0.23921567, 0.52156866, 0.5686275, 0.36470592, 0.16078436, -0.32549018, -0.5294118,
        -0.35686272, -0.0745098, 0.5137255, 0.6627451, -0.94509804, -0.8745098, -0.8039216, -0.73333335,
        -0.6627451, -0.5921569, -0.90588236, -0.5686275, -0.23137254, 0.09803927, 0.12941182, 0.32549024,
        -0.85882354, -0.26274508, 0.33333337, 0.2941177, -0.20784312, 0.12156868,
      ]),
    );
  });
});

describe('preprocessImage, properties', () => {
  it('turns a constant image into a constant tensor per channel in every mode', () => {
    const image = rgba(
      9,
      5,
      Array.from({ length: 45 }, () => [122, 116, 104]),
    );
    for (const config of [
      { size: { shortest_edge: 4 }, crop_size: { height: 4, width: 4 } },
      { size: { height: 3, width: 7 } },
    ]) {
      const spec = parseImagePreprocessSpec({ ...config, image_mean: CLIP_MEAN, image_std: CLIP_STD });
      const { data } = preprocessImage(image, spec);
      const plane = data.length / 3;
      for (let c = 0; c < 3; c++) {
        const channel = data.subarray(c * plane, (c + 1) * plane);
        expect(new Set(channel).size).toBe(1);
      }
    }
  });

  it('pads with the colour that normalises to zero-ish, so padding looks like the mean image', () => {
    const spec = parseImagePreprocessSpec(
      { size: { shortest_edge: 2 }, image_mean: CLIP_MEAN, image_std: CLIP_STD },
      { image_aspect_ratio: 'pad' },
    );
    expect(spec.padColor).toEqual([122, 116, 104]);
  });

  it('rejects pixel data of the wrong length as an invalid image', () => {
    const spec = parseImagePreprocessSpec({ size: { height: 2, width: 2 }, image_mean: 0.5, image_std: 0.5 });
    const bad = { width: 2, height: 2, data: new Uint8Array(15) };
    expect(() => preprocessImage(bad, spec)).toThrow(GlimpseError);
    try {
      preprocessImage(bad, spec);
    } catch (err) {
      expect(err instanceof GlimpseError && err.code).toBe('image-invalid');
    }
  });
});

describe('flattenAlpha', () => {
  it('composites transparent pixels onto the background and leaves opaque ones alone', () => {
    const image = rgba(4, 1, [
      [255, 0, 0, 0],
      [0, 0, 0, 128],
      [10, 20, 30, 255],
      [200, 100, 0, 51],
    ]);
    const { data } = flattenAlpha(image, [255, 255, 255]);
    expect(Array.from(data)).toEqual([
      255, 255, 255,
      // 255 · 127/255
      127, 127, 127, 10, 20, 30,
      // (200·51 + 255·204)/255 = 244, (100·51 + 255·204)/255 = 224, 204
      244, 224, 204,
    ]);
  });
});
