import { describe, expect, it } from 'vitest';
import type { Resample } from './preprocess-config';
import { type RgbPixels, resizeRgb } from './resample';

/** A 7×5 test pattern; the expected pixels below are Pillow 9.4's Image.resize of the same pattern. */
function pattern(): RgbPixels {
  const width = 7;
  const height = 5;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (37 * x + 11 * y * y) % 256;
      data[o + 1] = (((200 - 23 * x + 41 * y) % 256) + 256) % 256;
      data[o + 2] = (x * y * 19 + 5) % 256;
    }
  }
  return { width, height, data };
}

const PILLOW: Record<string, { resample: Resample; width: number; height: number; pixels: number[] }> = {
  bicubic_3x2: {
    resample: 'bicubic',
    width: 3,
    height: 2,
    pixels: [39, 168, 17, 131, 171, 56, 186, 116, 93, 144, 62, 52, 161, 141, 157, 105, 196, 141],
  },
  bicubic_7x3: {
    resample: 'bicubic',
    width: 7,
    height: 3,
    pixels: [
      2, 222, 5, 39, 199, 12, 76, 176, 18, 113, 146, 25, 150, 123, 32, 195, 100, 46, 232, 77, 53, 46, 80, 5,
      83, 57, 43, 120, 182, 81, 167, 223, 119, 204, 200, 167, 178, 167, 141, 66, 144, 179, 147, 86, 5, 184,
      63, 74, 221, 40, 144, 108, 131, 213, 145, 108, 132, 68, 234, 88, 105, 211, 157,
    ],
  },
  bicubic_11x9: {
    resample: 'bicubic',
    width: 11,
    height: 9,
    pixels: [
      0, 199, 5, 12, 189, 4, 39, 172, 3, 63, 157, 2, 86, 143, 1, 110, 128, 0, 134, 113, 0, 157, 99, 0, 181,
      84, 0, 208, 67, 0, 224, 57, 0, 1, 221, 5, 15, 211, 7, 42, 193, 10, 66, 172, 13, 89, 155, 16, 113, 141,
      19, 137, 126, 22, 160, 112, 25, 184, 97, 27, 216, 80, 31, 236, 70, 33, 6, 249, 4, 22, 240, 11, 49, 222,
      23, 73, 199, 34, 96, 181, 45, 120, 167, 55, 144, 152, 66, 166, 138, 76, 190, 123, 87, 224, 106, 99, 245,
      96, 106, 20, 151, 3, 36, 134, 15, 63, 131, 35, 87, 206, 53, 110, 223, 70, 134, 190, 87, 157, 175, 104,
      188, 161, 125, 223, 146, 153, 174, 129, 174, 131, 119, 186, 41, 28, 2, 57, 4, 19, 84, 16, 46, 108, 184,
      71, 131, 246, 95, 155, 213, 119, 179, 198, 143, 209, 184, 167, 235, 169, 192, 103, 152, 219, 0, 142,
      236, 69, 37, 1, 85, 20, 23, 112, 16, 58, 135, 79, 89, 165, 168, 119, 200, 253, 151, 237, 247, 205, 214,
      220, 194, 121, 193, 107, 53, 174, 124, 20, 165, 154, 104, 74, 1, 120, 65, 27, 147, 45, 70, 173, 6, 107,
      188, 88, 146, 198, 239, 183, 239, 233, 225, 189, 215, 181, 35, 214, 43, 42, 199, 59, 77, 188, 98, 154,
      100, 0, 170, 91, 31, 197, 72, 83, 232, 46, 128, 182, 61, 181, 82, 100, 219, 104, 75, 146, 111, 113, 93,
      78, 230, 94, 102, 234, 138, 126, 214, 173, 179, 113, 0, 195, 103, 34, 223, 86, 90, 255, 73, 139, 177,
      50, 199, 16, 21, 238, 27, 0, 100, 68, 55, 44, 107, 238, 127, 136, 252, 187, 151, 227, 219,
    ],
  },
  bilinear_4x3: {
    resample: 'bilinear',
    width: 4,
    height: 3,
    pixels: [
      24, 206, 9, 82, 170, 22, 150, 128, 37, 208, 92, 50, 68, 78, 25, 126, 165, 84, 183, 192, 142, 123, 156,
      159, 162, 78, 41, 179, 73, 146, 120, 139, 144, 95, 214, 126,
    ],
  },
  nearest_3x4: {
    resample: 'nearest',
    width: 3,
    height: 4,
    pixels: [
      37, 177, 5, 111, 131, 5, 185, 85, 5, 48, 218, 24, 122, 172, 62, 196, 126, 100, 136, 44, 62, 210, 254,
      176, 28, 208, 34, 213, 85, 81, 31, 39, 233, 105, 249, 129,
    ],
  },
};

describe('resizeRgb', () => {
  for (const [name, expected] of Object.entries(PILLOW)) {
    it(`matches Pillow exactly: ${name}`, () => {
      const out = resizeRgb(pattern(), expected.width, expected.height, expected.resample);
      expect([out.width, out.height]).toEqual([expected.width, expected.height]);
      expect(Array.from(out.data)).toEqual(expected.pixels);
    });
  }

  it('keeps a constant image constant, whatever the filter and scale', () => {
    const data = new Uint8Array(13 * 9 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([200, 17, 90], i);
    for (const resample of ['nearest', 'bilinear', 'bicubic'] as const) {
      for (const [width, height] of [
        [5, 4],
        [30, 21],
        [13, 2],
      ] as const) {
        const out = resizeRgb({ width: 13, height: 9, data }, width, height, resample);
        const other = out.data.findIndex((v, i) => v !== [200, 17, 90][i % 3]);
        expect(other).toBe(-1);
      }
    }
  });
});
