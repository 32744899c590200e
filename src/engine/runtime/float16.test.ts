import { describe, expect, it } from 'vitest';
import { float16BitsToNumber, float16ToFloat32, float32ToFloat16, numberToFloat16Bits } from './float16';

describe('float16 conversion', () => {
  it('maps known half bit patterns both ways', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      expect(numberToFloat16Bits(value)).toBe(bits);
      expect(float16BitsToNumber(bits)).toBe(value);
    }
  });

  it('rounds to the nearest half, ties to even, and saturates to infinity past the range', () => {
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(numberToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToFloat16Bits(70000)).toBe(0x7c00);
    expect(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('round-trips every finite half value', () => {
    const bits = new Uint16Array(0x7c00).map((_, i) => i);
    expect(float32ToFloat16(float16ToFloat32(bits))).toEqual(bits);
  });
});
