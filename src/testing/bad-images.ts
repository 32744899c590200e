/**
 * Images that break naive decoders, generated on demand with sharp so that no binary fixture is committed.
 * The CLI's unit tests and the browser's end-to-end tests feed the same files to both decoders.
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export interface TestImage {
  readonly name: string;
  readonly mimeType: string;
  readonly buffer: Buffer;
}

const red = { r: 255, g: 0, b: 0 };
const blue = { r: 0, g: 0, b: 255 };

/** Left part red, right part blue, opaque: orientation and downscaling can be read off the colours. */
function redLeftBlueRight(width: number, height: number) {
  const blueWidth = Math.floor(width / 2);
  return sharp({ create: { width, height, channels: 3, background: red } }).composite([
    {
      input: { create: { width: blueWidth, height, channels: 3, background: blue } },
      left: width - blueWidth,
      top: 0,
    },
  ]);
}

/** Noise compresses badly, so half of the file is half of the picture's data. */
async function truncatedJpeg(): Promise<TestImage> {
  const whole = await sharp({
    create: {
      width: 256,
      height: 256,
      channels: 3,
      background: red,
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
  return { name: 'truncated.jpg', mimeType: 'image/jpeg', buffer: whole.subarray(0, whole.length >> 1) };
}

/**
 * A 40×20 picture, red left and blue right, stored with EXIF orientation 6 ("rotate 90° clockwise to
 * display"): shown upright it is 20×40, red on top and blue below.
 */
async function rotatedJpeg(): Promise<TestImage> {
  const buffer = await sharp(await redLeftBlueRight(40, 20).png().toBuffer())
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  return { name: 'rotated.jpg', mimeType: 'image/jpeg', buffer };
}

/** 8×8: the left half fully transparent black, the right half opaque green. */
async function transparentPng(): Promise<TestImage> {
  const rgba = new Uint8Array(8 * 8 * 4);
  for (let i = 0; i < 64; i++) if (i % 8 >= 4) rgba.set([0, 255, 0, 255], i * 4);
  const buffer = await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } })
    .png()
    .toBuffer();
  return { name: 'cut-out.png', mimeType: 'image/png', buffer };
}

/** Two 8×8 frames: red, then blue. */
async function animatedGif(): Promise<TestImage> {
  const frames = new Uint8Array(8 * 16 * 4);
  for (let i = 0; i < 128; i++) frames.set(i < 64 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
  const buffer = await sharp(frames, { raw: { width: 8, height: 16, channels: 4, pageHeight: 8 } })
    .gif({ delay: [100, 100], loop: 0 })
    .toBuffer();
  return { name: 'animated.gif', mimeType: 'image/gif', buffer };
}

/**
 * 10000×10000 pixels (400 MB as RGBA) in a file of about 1.3 MB, left half red and right half blue.
 * Written by hand: each row after the first uses PNG's "Up" filter and is all zeros, so it deflates to
 * almost nothing in half a second, where encoding with sharp takes five.
 */
function hugePng(): TestImage {
  const side = 10_000;
  const rowBytes = 1 + side * 3;
  const rows = Buffer.alloc(rowBytes * side);
  for (let x = 0; x < side; x++) rows.set(x < side / 2 ? [255, 0, 0] : [0, 0, 255], 1 + x * 3);
  for (let y = 1; y < side; y++) rows[y * rowBytes] = 2;
  return { name: 'huge.png', mimeType: 'image/png', buffer: png(side, deflateSync(rows, { level: 1 })) };
}

/** A PNG whose header declares 100000×100000 pixels (40 GB as RGBA), with next to no data behind it. */
function pngBomb(): TestImage {
  return { name: 'bomb.png', mimeType: 'image/png', buffer: png(100_000, deflateSync(Buffer.alloc(1))) };
}

function png(side: number, compressedRows: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, adaptive filtering, not interlaced
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', compressedRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * An SVG that, rasterised carelessly, would run a script and read a local file. Glimpse refuses SVG: the
 * model family reads photographs, and a vector file can reference what the page should never fetch.
 */
function svg(): TestImage {
  const text =
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="16" height="16">' +
    '<script>window.svgRan = true</script>' +
    '<image xlink:href="file:///etc/passwd" width="16" height="16"/><rect width="8" height="8" fill="red"/></svg>';
  return { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(text) };
}

export const notAnImage: TestImage = {
  name: 'notes.png',
  mimeType: 'image/png',
  buffer: Buffer.from('These are notes, not a picture.\n'),
};

export const emptyFile: TestImage = { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) };

export const badImages = {
  truncatedJpeg,
  rotatedJpeg,
  transparentPng,
  animatedGif,
  hugePng,
  pngBomb,
  svg,
};
