/**
 * The shapes-llava recipe's fixed choices, shared by the data preparation (prepare.ts), the package build
 * and the held-out set: the vision tower's size, where the checkpoint lives, and which seeds each set uses.
 * The Python trainer reads the tower's size from the checkpoint's config.json, written from here.
 */
import { join } from 'node:path';
import type { ClipVisionConfig } from '../../src/toolkit/vision/clip-weights';
import { REPO_ROOT } from '../data/stories260k';

/**
 * 96 px, patches of 8: a 12×12 grid of 144 image tokens. A shape can be 11 px across once a wide image is
 * padded and resized; with patches of 16 the tower hardly told a circle from a square (tools/train/README.md).
 */
export const SHAPES_VISION_CONFIG: ClipVisionConfig = {
  imageSize: 96,
  patchSize: 8,
  channels: 3,
  hiddenSize: 64,
  intermediateSize: 256,
  numLayers: 4,
  numHeads: 4,
  layerNormEps: 1e-5,
  featureLayer: -2,
};

/** The committed Hugging Face checkpoint (safetensors, config, tokenizer, processor). */
export const CHECKPOINT_DIR = join(REPO_ROOT, 'models', 'checkpoints', 'shapes-llava');
/** The committed held-out evaluation set: eval.jsonl and its images. */
export const HELDOUT_DIR = join(REPO_ROOT, 'models', 'checkpoints', 'shapes-llava-heldout');
/** Training data written by prepare.ts for train.py (not committed). */
export const TRAIN_DATA_DIR = join(REPO_ROOT, '.cache', 'train', 'shapes-llava');

/**
 * Training scenes use seeds TRAIN_SEED_BASE + i, held-out scenes HELDOUT_SEED_BASE + i and the development
 * set DEV_SEED_BASE + i, never overlapping.
 */
export const TRAIN_SEED_BASE = 1_000_000;
export const HELDOUT_SEED_BASE = 9_000_000;
export const TRAIN_SCENES = 10000;
export const HELDOUT_SCENES = 60;
/**
 * A larger set from other unused seeds, not committed (`npx tsx tools/train/dev-set.ts` writes it), to choose
 * between variants: 60 scenes' 523 questions give an overall figure ±1.7 points (one standard error).
 */
export const DEV_SEED_BASE = 9_100_000;
export const DEV_SCENES = 200;
export const DEV_DIR = join(REPO_ROOT, '.cache', 'train', 'shapes-llava-dev');
/** Conversations drawn per training scene (stage 2). */
export const CONVERSATIONS_PER_SCENE = 6;
