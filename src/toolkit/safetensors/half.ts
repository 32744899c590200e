/** bfloat16 bit patterns to and from float32 (IEEE half lives with the engine: engine/runtime/float16). */

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
