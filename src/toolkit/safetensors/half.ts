/** Widening 16-bit floats (IEEE half and bfloat16 bit patterns) to float32. */

/** Every half value's float32, indexed by its bit pattern: 256 KiB once, then one lookup per value. */
let halfTable: Float32Array | undefined;

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) halfTable = Float32Array.from({ length: 0x10000 }, (_, b) => halfToFloat(b));
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] ?? 0] ?? 0;
  return out;
}

/** bfloat16 is the upper half of a float32: shift the bits back into place. */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = (bits[i] ?? 0) << 16;
  return new Float32Array(out.buffer);
}

/** The bfloat16 of each value, rounded to nearest even (as torch's .to(torch.bfloat16)). */
export function toBfloat16Bits(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < words.length; i++) {
    const x = words[i] ?? 0;
    const nan = (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0;
    out[i] = nan ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
