/** Draws a scene (scene.ts) into pixels and encodes it as the PNG or JPEG file the scene asks for. */
import sharp from 'sharp';
import { createRng } from '../../src/engine/sampler/rng';
import type { Scene, Shape } from './scene';

/** Sub-samples per pixel side: edges are anti-aliased like a drawing program's, not stair-stepped. */
const SUPERSAMPLE = 3;

function inside(shape: Shape, x: number, y: number): boolean {
  const half = shape.size / 2;
  const dx = x - shape.cx;
  const dy = y - shape.cy;
  switch (shape.kind) {
    case 'circle':
      return dx * dx + dy * dy <= half * half;
    case 'square':
      return Math.abs(dx) <= half && Math.abs(dy) <= half;
    case 'triangle': {
      // Apex at the top centre, base along the bottom of the bounding square.
      if (dy < -half || dy > half) return false;
      const t = (dy + half) / shape.size;
      return Math.abs(dx) <= t * half;
    }
  }
}

/** RGB pixels, row-major, 3 bytes a pixel. */
export function rasterize(scene: Scene): Uint8Array {
  const { width, height, background } = scene;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i += 3) out.set(background, i);
  const step = 1 / SUPERSAMPLE;
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (const shape of scene.shapes) {
    const half = shape.size / 2 + 1;
    const x0 = Math.max(0, Math.floor(shape.cx - half));
    const x1 = Math.min(width - 1, Math.ceil(shape.cx + half));
    const y0 = Math.max(0, Math.floor(shape.cy - half));
    const y1 = Math.min(height - 1, Math.ceil(shape.cy + half));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let hits = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++)
          for (let sx = 0; sx < SUPERSAMPLE; sx++)
            if (inside(shape, x + (sx + 0.5) * step, y + (sy + 0.5) * step)) hits++;
        if (hits === 0) continue;
        const a = hits / samples;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++)
          out[o + c] = Math.round((shape.rgb[c] ?? 0) * a + (out[o + c] ?? 0) * (1 - a));
      }
    }
  }
  if (scene.noise > 0) {
    const rng = createRng(scene.seed ^ 0x5eed);
    for (let i = 0; i < out.length; i++) {
      const value = (out[i] ?? 0) + Math.round((rng() * 2 - 1) * scene.noise);
      out[i] = Math.max(0, Math.min(255, value));
    }
  }
  return out;
}

/** The scene as an image file in its own format. */
export async function encodeScene(scene: Scene): Promise<Buffer> {
  const image = sharp(rasterize(scene), { raw: { width: scene.width, height: scene.height, channels: 3 } });
  return scene.format === 'png'
    ? image.png({ compressionLevel: 9 }).toBuffer()
    : image.jpeg({ quality: scene.jpegQuality }).toBuffer();
}

export function sceneFileName(scene: Scene): string {
  return `scene-${scene.seed}.${scene.format === 'png' ? 'png' : 'jpg'}`;
}
