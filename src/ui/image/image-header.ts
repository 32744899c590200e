/**
 * What an image file says about itself in its first bytes: the format (from its signature, not from the
 * file name or MIME type), the stored pixel size and, for JPEG, the EXIF orientation. Read before decoding,
 * so a file that is no image, or one whose header declares gigabytes of pixels, is refused without a
 * decode, and a large photo can be decoded straight to a smaller size.
 */
export type RasterFormat = 'jpeg' | 'png' | 'gif' | 'webp';

export interface ImageHeader {
  readonly format: RasterFormat;
  /** The size as stored, before any EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1–8 (1 when absent); 5–8 swap width and height on display. */
  readonly orientation: number;
}

/** How many leading bytes `readImageHeader` wants: enough for a JPEG's EXIF and ICC segments before its frame header. */
export const headerBytes = 512 * 1024;

/** The format and size of an image file from its leading bytes; undefined when no known header is there. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number, length: number) =>
    offset + length <= bytes.length ? String.fromCharCode(...bytes.subarray(offset, offset + length)) : '';
  if (bytes.length >= 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a) {
    return sized('png', view.getUint32(16), view.getUint32(20));
  }
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') {
    return bytes.length >= 10 ? sized('gif', view.getUint16(6, true), view.getUint16(8, true)) : undefined;
  }
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return webpHeader(bytes, view, ascii(12, 4));
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes, view);
  return undefined;
}

function sized(
  format: RasterFormat,
  width: number,
  height: number,
  orientation = 1,
): ImageHeader | undefined {
  return width > 0 && height > 0 ? { format, width, height, orientation } : undefined;
}

function webpHeader(bytes: Uint8Array, view: DataView, chunk: string): ImageHeader | undefined {
  const byte = (offset: number) => bytes[offset] ?? 0;
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return sized('webp', view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return sized('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const width = byte(24) | (byte(25) << 8) | (byte(26) << 16);
    const height = byte(27) | (byte(28) << 8) | (byte(29) << 16);
    return sized('webp', width + 1, height + 1);
  }
  return undefined;
}

/** Start-of-frame markers carry the size: SOF0–3, 5–7, 9–11, 13–15 (0xC4, 0xC8 and 0xCC are not frames). */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegHeader(bytes: Uint8Array, view: DataView): ImageHeader | undefined {
  let orientation = 1;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    // Fill bytes, and markers that stand alone without a length.
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    if (isFrameMarker(marker)) {
      return at + 9 <= bytes.length
        ? sized('jpeg', view.getUint16(at + 7), view.getUint16(at + 5), orientation)
        : undefined;
    }
    if (marker === 0xe1) orientation = exifOrientation(bytes, view, at + 4, length - 2) ?? orientation;
    at += 2 + length;
  }
  return undefined;
}

/** The Orientation tag (0x0112) of IFD0 in an APP1 Exif segment, or undefined. */
function exifOrientation(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  length: number,
): number | undefined {
  const end = Math.min(bytes.length, start + length);
  const exif = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (start + 14 > end || exif.some((b, i) => bytes[start + i] !== b)) return undefined;
  const tiff = start + 6;
  const little = bytes[tiff] === 0x49;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return undefined;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** The size an image shows at once its EXIF orientation is applied. */
export function displaySize(header: ImageHeader): { readonly width: number; readonly height: number } {
  return header.orientation >= 5
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}
