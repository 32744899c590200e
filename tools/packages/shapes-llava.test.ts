/**
 * models/shapes-llava through the CLI: `glimpse ask` names the colour and the kind of generated scenes
 * correctly, and stops doing so when the image path is fed the wrong channels; `glimpse eval` scores a
 * generated set per kind and dtype.
 *
 * The scenes are the first one-shape scenes from a seed no training or held-out set uses, picked by that rule
 * alone (never by the model's answers). One-shape colour and kind are what the checkpoint gets right on the
 * held-out set (README, "shapes-llava: does it see?"); relations between several shapes are weaker.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { REPO_ROOT } from '../data/stories260k';
import { evalQuestionsFor } from '../scenes/language';
import { encodeScene, sceneFileName } from '../scenes/render';
import { generateScene, type Scene, type Shape } from '../scenes/scene';

const PACKAGE = join(REPO_ROOT, 'models', 'shapes-llava');
/** Seeds apart from training (1e6…) and the held-out set (9e6…). */
const SEED_BASE = 7_100_000;

function bgr([r, g, b]: readonly [number, number, number]): [number, number, number] {
  return [b, g, r];
}

async function glimpse(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('models/shapes-llava', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-shapes-'));
  const scenes: Scene[] = [];
  for (let seed = SEED_BASE; scenes.length < 8; seed++) {
    const scene = generateScene(seed);
    if (scene.shapes.length === 1) scenes.push(scene);
  }
  // The same scenes with red and blue swapped in every pixel, as a preprocessing that read BGR as RGB would
  // feed them, written to a folder of their own.
  const swappedDir = join(root, 'bgr');
  const swapped = scenes.map((scene) => ({
    ...scene,
    background: bgr(scene.background),
    shapes: scene.shapes.map((shape) => ({ ...shape, rgb: bgr(shape.rgb) })),
  }));

  beforeAll(async () => {
    mkdirSync(swappedDir);
    for (const scene of scenes) writeFileSync(join(root, sceneFileName(scene)), await encodeScene(scene));
    for (const scene of swapped)
      writeFileSync(join(swappedDir, sceneFileName(scene)), await encodeScene(scene));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function ask(scene: Scene, question: string, dir = root): Promise<string> {
    const image = join(dir, sceneFileName(scene));
    const args = ['--temperature', '0', '--max-new-tokens', '16', '--json'];
    const result = await glimpse('ask', '--model', PACKAGE, '--image', image, ...args, question);
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { text: string }).text;
  }

  /** The share of the scenes, read from `dir`, for which `glimpse ask` gives exactly the answer `expected` makes. */
  async function rightShare(
    dir: string,
    question: string,
    expected: (shape: Shape) => string,
  ): Promise<number> {
    let right = 0;
    for (const scene of scenes) {
      const shape = scene.shapes[0];
      if (shape && (await ask(scene, question, dir)) === expected(shape)) right++;
    }
    return right / scenes.length;
  }

  it('glimpse ask names the colour and the kind of one-shape scenes (at least 7 in 8)', async () => {
    expect(
      await rightShare(root, 'What colour is the shape?', (s) => `It is ${s.colour}.`),
    ).toBeGreaterThanOrEqual(7 / 8);
    expect(await rightShare(root, 'What shape is it?', (s) => `It is a ${s.kind}.`)).toBeGreaterThanOrEqual(
      7 / 8,
    );
  });

  it('with red and blue swapped in the image, the colour answers fall to at most half right', async () => {
    // Proves the check above can fail: a channel-order bug anywhere on the image path would look like this.
    // Green keeps its name under the swap, so the share cannot reach zero; the kind stays readable.
    expect(
      await rightShare(swappedDir, 'What colour is the shape?', (s) => `It is ${s.colour}.`),
    ).toBeLessThanOrEqual(1 / 2);
  });

  it('glimpse eval scores every item of a generated set, per kind, for each dtype', async () => {
    const lines = scenes
      .slice(0, 3)
      .flatMap((scene) =>
        evalQuestionsFor(scene).map((item) => JSON.stringify({ image: sceneFileName(scene), ...item })),
      );
    const data = join(root, 'items.jsonl');
    writeFileSync(data, lines.join('\n'));
    const result = await glimpse(
      'eval',
      '--model',
      PACKAGE,
      '--data',
      data,
      '--dtype',
      'fp32,q4,quantized',
      '--json',
    );
    expect(result.code).toBe(0);
    type Tally = { correct: number; total: number };
    const report = JSON.parse(result.stdout) as {
      items: { kind: string; replies: Record<string, { reply: string; correct: boolean }> }[];
      accuracy: Record<string, { byKind: Record<string, Tally>; overall: Tally }>;
      agreement: Record<string, { sameVerdict: Tally }>;
    };
    expect(report.items).toHaveLength(lines.length);
    for (const dtype of ['fp32', 'q4', 'quantized']) {
      const right = report.items.filter((item) => item.replies[dtype]?.correct).length;
      expect(report.accuracy[dtype]?.overall).toEqual({ correct: right, total: lines.length });
      for (const item of report.items) expect(item.replies[dtype]?.reply).not.toBe('');
    }
    expect(report.agreement.q4?.sameVerdict.total).toBe(lines.length);
    expect(report.agreement.quantized?.sameVerdict.total).toBe(lines.length);
  });
});
