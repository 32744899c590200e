/** A content key for an image, so that the same picture is encoded once per conversation. */
import type { RgbaImage } from '../types';

/** FNV-1a (32 bit) over the pixels, twice with different seeds, plus the size: cheap and collision-safe enough for a per-conversation cache. */
export function imageKey(image: RgbaImage): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ image.width;
  const data = image.data;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] ?? 0;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
  }
  return `${image.width}x${image.height}:${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}
