/**
 * `npm run train`: the whole shapes-llava recipe, reproducible from its seeds.
 * 1. prepare.ts: scenes, tokenized captions and conversations, stories260K in the Hugging Face layout;
 * 2. train.py under Debian's python3-torch: stage 0 (CLIP), stage 1 (projector), stage 2 (projector + LM);
 * 3. heldout.ts: the held-out evaluation set beside the checkpoint;
 * 4. the package models/shapes-llava through `glimpse convert`'s code path.
 * `npm run train -- --quick` runs a few steps of each stage on a few scenes, into .cache, to try changes.
 * `npm run train -- --resume` continues the committed checkpoint's stage 2 where it stopped (a device's
 * time limit, a killed job), on the data already prepared in .cache when it is there.
 * Flags that change a stage (`--stage0-patch-loss=1`, `--stage2-steps=N`, …: train.py's list) pass through.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../data/stories260k';
import { buildShapesLlava } from '../packages/shapes-llava';
import { writeHeldoutSet } from './heldout';
import { prepareTrainingData } from './prepare';
import { CHECKPOINT_DIR, TRAIN_DATA_DIR, TRAIN_SCENES } from './shapes-llava';

/** Debian's interpreter, which python3-torch installs into (a pyenv python3 earlier on PATH has no torch). */
const PYTHON = '/usr/bin/python3';

function checkTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import torch and numpy. Install them with ` +
        '`apt-get install python3-torch python3-numpy libopenblas0-pthread`.',
    );
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const resume = !quick && process.argv.includes('--resume');
  const checkpoint = quick ? join(TRAIN_DATA_DIR, 'quick-checkpoint') : CHECKPOINT_DIR;
  checkTorch();
  const started = performance.now();
  const prepared = existsSync(join(TRAIN_DATA_DIR, 'data.json'));
  if (!(resume && prepared)) await prepareTrainingData(quick ? 300 : TRAIN_SCENES, checkpoint);
  const prepareSeconds = (performance.now() - started) / 1000;
  const args = [join(REPO_ROOT, 'tools', 'train', 'train.py'), TRAIN_DATA_DIR, checkpoint];
  const stageFlags = process.argv.slice(2).filter((a) => a.startsWith('--stage'));
  const flags = [...(quick ? ['--quick'] : resume ? ['--resume'] : []), ...stageFlags];
  const trained = spawnSync(PYTHON, [...args, ...flags], { stdio: 'inherit' });
  if (trained.status !== 0) throw new Error(`train.py failed (exit ${trained.status ?? trained.signal}).`);
  const logPath = join(checkpoint, 'training-log.json');
  if (existsSync(logPath) && !resume) {
    const log: unknown = JSON.parse(readFileSync(logPath, 'utf8'));
    writeFileSync(
      logPath,
      `${JSON.stringify({ ...(log as object), prepare_seconds: prepareSeconds }, null, 2)}\n`,
    );
  }
  if (quick) return;
  await writeHeldoutSet();
  await buildShapesLlava(join(REPO_ROOT, 'models', 'shapes-llava'));
  console.log('models/shapes-llava rebuilt from the new checkpoint.');
}

await main();
