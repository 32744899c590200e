/**
 * Writes the held-out evaluation set beside the checkpoint: scenes from seeds training never uses, their
 * image files as generated (PNG or JPEG, 96–640 px) and eval.jsonl with the questions `glimpse eval` asks.
 * Deterministic: rerunning it (`npm run train` does) rewrites the same files.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalQuestionsFor } from '../scenes/language';
import { encodeScene, sceneFileName } from '../scenes/render';
import { generateScene } from '../scenes/scene';
import { HELDOUT_DIR, HELDOUT_SCENES, HELDOUT_SEED_BASE } from './shapes-llava';

/** `scenes` scenes from seeds seedBase + i, their images and eval.jsonl, into `dir` (emptied first). */
export async function writeEvalSet(dir: string, seedBase: number, scenes: number): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < scenes; i++) {
    const scene = generateScene(seedBase + i);
    const image = `images/${sceneFileName(scene)}`;
    writeFileSync(join(dir, image), await encodeScene(scene));
    for (const item of evalQuestionsFor(scene)) lines.push(JSON.stringify({ image, ...item }));
  }
  writeFileSync(join(dir, 'eval.jsonl'), `${lines.join('\n')}\n`);
  console.log(`${scenes} scenes, ${lines.length} questions → ${dir}`);
}

export function writeHeldoutSet(): Promise<void> {
  return writeEvalSet(HELDOUT_DIR, HELDOUT_SEED_BASE, HELDOUT_SCENES);
}
