/**
 * Draws the Glimpse mark (an eye over an indigo-to-cyan tile) as public/favicon.svg and renders the PNG
 * icons the web manifest and iOS need. Run after changing the mark: `npx tsx tools/icons.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const gradient = `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="#4f46e5"/><stop offset="0.6" stop-color="#0ea5e9"/><stop offset="1" stop-color="#22c55e"/>
</linearGradient></defs>`;

/** The eye, drawn on a 100×100 canvas, scaled about the centre by `scale`. */
function eye(scale: number): string {
  return `<g transform="translate(50 50) scale(${scale}) translate(-50 -50)">
<path d="M10 50 C28 22 72 22 90 50 C72 78 28 78 10 50 Z" fill="#ffffff"/>
<circle cx="50" cy="50" r="17" fill="#1e1b4b"/>
<circle cx="56" cy="44" r="5" fill="#ffffff"/>
</g>`;
}

/** Rounded tile with transparent corners: favicon and "any" icons. */
const roundedSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><title>Glimpse</title>${gradient}
<rect width="100" height="100" rx="22" fill="url(#g)"/>${eye(0.8)}</svg>`;

/** Full-bleed tile with the eye inside the maskable safe zone (the centre circle of 80% diameter). */
const fullBleedSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><title>Glimpse</title>${gradient}
<rect width="100" height="100" fill="url(#g)"/>${eye(0.62)}</svg>`;

async function png(svg: string, size: number, file: string) {
  await sharp(Buffer.from(svg), { density: 72 * (size / 100) * 4 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(file);
}

async function main() {
  const publicDir = join(import.meta.dirname, '..', 'public');
  await mkdir(join(publicDir, 'icons'), { recursive: true });
  await writeFile(join(publicDir, 'favicon.svg'), `${roundedSvg}\n`);
  await png(roundedSvg, 192, join(publicDir, 'icons', 'icon-192.png'));
  await png(roundedSvg, 512, join(publicDir, 'icons', 'icon-512.png'));
  await png(fullBleedSvg, 512, join(publicDir, 'icons', 'icon-maskable-512.png'));
  await png(fullBleedSvg, 180, join(publicDir, 'icons', 'apple-touch-icon.png'));
}

void main();
