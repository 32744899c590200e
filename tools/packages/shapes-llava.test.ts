/**
 * models/shapes-llava sees: `glimpse ask` answers questions about scenes no training run used, and the same
 * check fails once the package's preprocessing is wrong (no normalisation) — so the check can fail.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { REPO_ROOT } from '../data/stories260k';
import { encodeScene, sceneFileName } from '../scenes/render';
import { generateScene, type Scene } from '../scenes/scene';

const PACKAGE = join(REPO_ROOT, 'models', 'shapes-llava');
/** Seeds apart from training (1e6…) and the held-out set (9e6…). */
const SEED_BASE = 7_100_000;
const NUMBERS = ['zero', 'one', 'two', 'three'];

async function glimpse(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

function scenesWhere(count: number, keep: (scene: Scene) => boolean, from: number): Scene[] {
  const scenes: Scene[] = [];
  for (let seed = from; scenes.length < count; seed++) {
    const scene = generateScene(seed);
    if (keep(scene)) scenes.push(scene);
  }
  return scenes;
}

describe('models/shapes-llava', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-shapes-'));
  const single = scenesWhere(4, (s) => s.shapes.length === 1, SEED_BASE);
  const several = scenesWhere(2, (s) => s.shapes.length > 1, SEED_BASE + 500);
  const file = (scene: Scene) => join(root, sceneFileName(scene));

  beforeAll(async () => {
    for (const scene of [...single, ...several]) writeFileSync(file(scene), await encodeScene(scene));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function ask(scene: Scene, question: string, model = PACKAGE): Promise<string> {
    const result = await glimpse(
      'ask',
      '--model',
      model,
      '--image',
      file(scene),
      '--temperature',
      '0',
      '--max-new-tokens',
      '16',
      '--json',
      question,
    );
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { text: string }).text;
  }

  it('glimpse ask names the colour and the kind of a generated shape, and counts shapes', async () => {
    for (const scene of single.slice(0, 3)) {
      const [shape] = scene.shapes;
      expect(await ask(scene, 'What colour is the shape?')).toMatch(new RegExp(`\\b${shape?.colour}\\b`));
      expect(await ask(scene, 'What shape is it?')).toMatch(new RegExp(`\\b${shape?.kind}\\b`));
    }
    for (const scene of several) {
      expect(await ask(scene, 'How many shapes are there?')).toMatch(
        new RegExp(`\\b${NUMBERS[scene.shapes.length]}\\b`),
      );
    }
  });

  it('fails the same questions when the package skips normalisation (the check can fail)', async () => {
    const broken = join(root, 'unnormalised');
    cpSync(PACKAGE, broken, { recursive: true });
    const configPath = join(broken, 'preprocessor_config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, do_normalize: false }));

    const lines = single.flatMap((scene) => {
      const [shape] = scene.shapes;
      const image = sceneFileName(scene);
      return [
        { image, question: 'What colour is the shape?', answer: shape?.colour, kind: 'colour' },
        { image, question: 'What shape is it?', answer: shape?.kind, kind: 'kind' },
      ];
    });
    const data = join(root, 'items.jsonl');
    writeFileSync(data, lines.map((line) => JSON.stringify(line)).join('\n'));
    const accuracy = async (model: string): Promise<number> => {
      const result = await glimpse('eval', '--model', model, '--data', data, '--dtype', 'fp32', '--json');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as {
        accuracy: { fp32: { overall: { correct: number; total: number } } };
      };
      return report.accuracy.fp32.overall.correct / report.accuracy.fp32.overall.total;
    };
    expect(await accuracy(PACKAGE)).toBe(1);
    expect(await accuracy(broken)).toBeLessThanOrEqual(0.5);
  });
});
