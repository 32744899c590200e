/** IEEE 754 half-precision conversions for fp16 tensors, which ONNX Runtime carries as Uint16Array bits. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Round-to-nearest-even conversion of a float32 value to half bits. */
export function numberToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const rounded =
      (m >> shift) + ((m >> (shift - 1)) & 1 && (m & ((1 << (shift - 1)) - 1) || (m >> shift) & 1) ? 1 : 0);
    return sign | rounded;
  }
  let half = sign | (halfExponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1;
  return half;
}

/** Every half value's float32, indexed by its bit pattern: 256 KiB once, then one lookup per value. */
let halfTable: Float32Array | undefined;

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) halfTable = Float32Array.from({ length: 0x10000 }, (_, b) => float16BitsToNumber(b));
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] ?? 0] ?? 0;
  return out;
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberToFloat16Bits(values[i] ?? 0);
  return out;
}
