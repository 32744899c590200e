/**
 * Generated scenes for models/shapes-llava: 1–3 solid, non-overlapping shapes (circle, square, upright
 * triangle) of distinct colours on a light background, drawn from a seed. A scene is symbolic; render.ts
 * turns it into an image file, language.ts into captions, conversations and evaluation items.
 */
import { createRng, type Rng } from '../../src/engine/sampler/rng';

export const KINDS = ['circle', 'square', 'triangle'] as const;
export type Kind = (typeof KINDS)[number];

export const COLOURS = {
  red: [215, 35, 35],
  green: [40, 165, 60],
  blue: [35, 75, 215],
  yellow: [240, 205, 25],
  purple: [135, 55, 175],
  orange: [245, 135, 15],
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];

export interface Shape {
  readonly kind: Kind;
  readonly colour: Colour;
  /** The fill actually drawn: the colour's base with a small jitter. */
  readonly rgb: readonly [number, number, number];
  /** Centre and size (the side of its bounding square) in pixels. */
  readonly cx: number;
  readonly cy: number;
  readonly size: number;
}

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly background: readonly [number, number, number];
  /** Amplitude of the uniform per-pixel noise added to the whole image (0: none). */
  readonly noise: number;
  readonly format: 'png' | 'jpeg';
  readonly jpegQuality: number;
  readonly shapes: readonly Shape[];
  /** Seeds the noise, so rendering is repeatable. */
  readonly seed: number;
}

/** Where a shape sits in the image: the dominant direction from the centre, and whether it is clear-cut. */
export type Place = 'left' | 'right' | 'top' | 'bottom' | 'middle';

export interface Position {
  readonly place: Place;
  /** True when one direction clearly dominates: only then is a position question asked about the shape. */
  readonly clear: boolean;
}

const MIN_SIDE = 96;
const MAX_SIDE = 640;
const MAX_ASPECT = 1.7;
const JITTER = 18;

function between(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function jittered(rng: Rng, base: readonly number[]): [number, number, number] {
  const channel = (i: number) =>
    Math.max(0, Math.min(255, Math.round((base[i] ?? 0) + between(rng, -JITTER, JITTER))));
  return [channel(0), channel(1), channel(2)];
}

function backgroundOf(rng: Rng): [number, number, number] {
  const style = rng();
  if (style < 0.35) return [255, 255, 255];
  if (style < 0.65) {
    const grey = Math.round(between(rng, 222, 245));
    return [grey, grey, grey];
  }
  // A light tint: every channel high, one or two a little lower.
  return [0, 1, 2].map(() => Math.round(between(rng, 218, 255))) as [number, number, number];
}

/** Shapes keep this much space between their bounding squares, as a fraction of the short side. */
const GAP = 0.04;

function overlaps(a: Shape, b: Shape, gap: number): boolean {
  const reach = (a.size + b.size) / 2 + gap;
  return Math.abs(a.cx - b.cx) < reach && Math.abs(a.cy - b.cy) < reach;
}

/** Places `count` shapes; sizes shrink towards the lower bound when a scene is too crowded to fit. */
function placeShapes(rng: Rng, width: number, height: number, count: number): Shape[] {
  const short = Math.min(width, height);
  const colours = shuffled(rng, COLOUR_NAMES).slice(0, count);
  for (let attempt = 0; ; attempt++) {
    const maxFraction = Math.max(0.2, 0.55 - attempt * 0.01);
    const shapes: Shape[] = [];
    for (const colour of colours) {
      const size = Math.round(short * between(rng, 0.2, maxFraction));
      let placed: Shape | undefined;
      for (let tries = 0; tries < 40 && placed === undefined; tries++) {
        const candidate: Shape = {
          kind: pick(rng, KINDS),
          colour,
          rgb: jittered(rng, COLOURS[colour]),
          cx: between(rng, size / 2 + 2, width - size / 2 - 2),
          cy: between(rng, size / 2 + 2, height - size / 2 - 2),
          size,
        };
        if (shapes.every((other) => !overlaps(candidate, other, GAP * short))) placed = candidate;
      }
      if (placed === undefined) break;
      shapes.push(placed);
    }
    if (shapes.length === count) return shapes;
  }
}

/** One scene from `seed`: the same seed gives the same scene everywhere. */
export function generateScene(seed: number): Scene {
  const rng = createRng(seed);
  const long = Math.round(between(rng, MIN_SIDE, MAX_SIDE));
  const short = Math.max(MIN_SIDE, Math.round(long / between(rng, 1, MAX_ASPECT)));
  const landscape = rng() < 0.5;
  const width = landscape ? long : short;
  const height = landscape ? short : long;
  const count = 1 + Math.floor(rng() * 3);
  const format = rng() < 0.5 ? 'png' : 'jpeg';
  const noise = format === 'jpeg' && rng() < 0.4 ? Math.round(between(rng, 4, 12)) : 0;
  return {
    width,
    height,
    background: backgroundOf(rng),
    noise,
    format,
    jpegQuality: Math.round(between(rng, 70, 95)),
    shapes: placeShapes(rng, width, height, count),
    seed,
  };
}

/** A shape's place, judged from its centre relative to the image's centre (in fractions of each side). */
export function positionOf(scene: Scene, shape: Shape): Position {
  const dx = shape.cx / scene.width - 0.5;
  const dy = shape.cy / scene.height - 0.5;
  const horizontal = Math.abs(dx) >= Math.abs(dy);
  const major = horizontal ? dx : dy;
  if (Math.abs(major) < 0.1) return { place: 'middle', clear: false };
  const place: Place = horizontal ? (dx < 0 ? 'left' : 'right') : dy < 0 ? 'top' : 'bottom';
  const clear = Math.abs(major) >= 0.15 && Math.abs(major) - Math.min(Math.abs(dx), Math.abs(dy)) >= 0.08;
  return { place, clear };
}

/** The scene's shapes from left to right, the order descriptions use. */
export function leftToRight(scene: Scene): Shape[] {
  return [...scene.shapes].sort((a, b) => a.cx - b.cx);
}
