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

export async function writeHeldoutSet(): Promise<void> {
  rmSync(HELDOUT_DIR, { recursive: true, force: true });
  mkdirSync(join(HELDOUT_DIR, 'images'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < HELDOUT_SCENES; i++) {
    const scene = generateScene(HELDOUT_SEED_BASE + i);
    const image = `images/${sceneFileName(scene)}`;
    writeFileSync(join(HELDOUT_DIR, image), await encodeScene(scene));
    for (const item of evalQuestionsFor(scene)) lines.push(JSON.stringify({ image, ...item }));
  }
  writeFileSync(join(HELDOUT_DIR, 'eval.jsonl'), `${lines.join('\n')}\n`);
  console.log(`${HELDOUT_SCENES} scenes, ${lines.length} questions → ${HELDOUT_DIR}`);
}
