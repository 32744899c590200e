/**
 * models/shapes-llava through the CLI: `glimpse ask` answers generated scenes in the form its instruction
 * tuning taught (a colour, a kind, a number), and `glimpse eval` scores a generated set per kind and dtype.
 * Whether the answers are right is measured by `glimpse eval` on the held-out set (README); the model misses
 * the targets, so no test here asserts that they are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { REPO_ROOT } from '../data/stories260k';
import { evalQuestionsFor } from '../scenes/language';
import { encodeScene, sceneFileName } from '../scenes/render';
import { COLOUR_NAMES, generateScene, KINDS, type Scene } from '../scenes/scene';

const PACKAGE = join(REPO_ROOT, 'models', 'shapes-llava');
/** Seeds apart from training (1e6…) and the held-out set (9e6…). */
const SEED_BASE = 7_100_000;

async function glimpse(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('models/shapes-llava', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-shapes-'));
  const scenes: Scene[] = [];
  for (let seed = SEED_BASE; scenes.length < 3; seed++) {
    const scene = generateScene(seed);
    if (scene.shapes.length === 1) scenes.push(scene);
  }

  beforeAll(async () => {
    for (const scene of scenes) writeFileSync(join(root, sceneFileName(scene)), await encodeScene(scene));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function ask(scene: Scene, question: string): Promise<string> {
    const image = join(root, sceneFileName(scene));
    const args = ['--temperature', '0', '--max-new-tokens', '16', '--json'];
    const result = await glimpse('ask', '--model', PACKAGE, '--image', image, ...args, question);
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { text: string }).text;
  }

  it('glimpse ask answers a colour, a kind and a count in the taught form', async () => {
    const colours = COLOUR_NAMES.join('|');
    for (const scene of scenes) {
      expect(await ask(scene, 'What colour is the shape?')).toMatch(new RegExp(`^It is (${colours})\\.$`));
      expect(await ask(scene, 'What shape is it?')).toMatch(new RegExp(`^It is a (${KINDS.join('|')})\\.$`));
      expect(await ask(scene, 'How many shapes are there?')).toMatch(
        /^There (is one shape|are (two|three) shapes)\.$/,
      );
    }
  });

  it('glimpse eval scores every item of a generated set, per kind, for each dtype', async () => {
    const lines = scenes.flatMap((scene) =>
      evalQuestionsFor(scene).map((item) => JSON.stringify({ image: sceneFileName(scene), ...item })),
    );
    const data = join(root, 'items.jsonl');
    writeFileSync(data, lines.join('\n'));
    const result = await glimpse('eval', '--model', PACKAGE, '--data', data, '--dtype', 'fp32,q4', '--json');
    expect(result.code).toBe(0);
    type Tally = { correct: number; total: number };
    const report = JSON.parse(result.stdout) as {
      items: { kind: string; replies: Record<string, { reply: string; correct: boolean }> }[];
      accuracy: Record<string, { byKind: Record<string, Tally>; overall: Tally }>;
      agreement: Record<string, { sameVerdict: Tally }>;
    };
    expect(report.items).toHaveLength(lines.length);
    for (const dtype of ['fp32', 'q4']) {
      const right = report.items.filter((item) => item.replies[dtype]?.correct).length;
      expect(report.accuracy[dtype]?.overall).toEqual({ correct: right, total: lines.length });
      for (const item of report.items) expect(item.replies[dtype]?.reply).not.toBe('');
    }
    expect(report.agreement.q4?.sameVerdict.total).toBe(lines.length);
  });
});
