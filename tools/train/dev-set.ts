/**
 * `npx tsx tools/train/dev-set.ts`: the development set (DEV_SCENES scenes from unused seeds) into
 * .cache/train/shapes-llava-dev, for `glimpse eval --data .cache/train/shapes-llava-dev/eval.jsonl`.
 */
import { writeEvalSet } from './heldout';
import { DEV_DIR, DEV_SCENES, DEV_SEED_BASE } from './shapes-llava';

await writeEvalSet(DEV_DIR, DEV_SEED_BASE, DEV_SCENES);
