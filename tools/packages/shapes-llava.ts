/**
 * models/shapes-llava: the tiny LLaVA trained by tools/train (stage 0 CLIP pre-training, stage 1 projector
 * alignment, stage 2 instruction tuning of stories260K) on generated scenes, so its answers about a
 * picture can be checked. Built from the committed Hugging Face checkpoint through `glimpse convert`'s
 * code path, in float32 and the two 4-bit variants, each with its decoder_model_static (the captured WebGPU
 * step and the cpu backend's in-place cache; heads of 8 values rotate at position_ids).
 */
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertCheckpoint } from '../../src/toolkit/convert/convert';
import { CHECKPOINT_DIR } from '../train/shapes-llava';
import type { ModelPackage } from './index';

// The CPU backends load the 8-bit files (dtypePreference), WebGPU the 4-bit ones (README.md, "shapes-llava:
// does it see?").
const DTYPES = ['fp32', 'q4', 'q4f16', 'quantized'] as const;
// The layers are 64 wide, so blocks of 16 cost ~30 KB, and on 1639 development questions they bring q4 from
// 1.9 points below fp32 to 0.9 (tools/train/README.md, "Where q4 loses").
const Q4_BLOCK_SIZE = 16;

/** The package's model card: what the picker can say about it. */
export const SHAPES_LLAVA_DESCRIPTION =
  'A tiny LLaVA trained here on generated scenes of coloured circles, squares and triangles: it names ' +
  "each shape's colour and kind, counts the shapes and says where each is, mostly correctly; its " +
  'descriptions of a whole scene often miss a shape or a place (held-out accuracy in README.md).';

export async function buildShapesLlava(outDir: string, checkpoint = CHECKPOINT_DIR): Promise<void> {
  if (!existsSync(join(checkpoint, 'model.safetensors')))
    throw new Error(`${checkpoint}/model.safetensors is missing; \`npm run train\` makes it.`);
  const staging = `${outDir}.tmp`;
  await rm(staging, { recursive: true, force: true });
  for (const dtype of DTYPES)
    await convertCheckpoint({ from: checkpoint, to: staging, dtype, q4BlockSize: Q4_BLOCK_SIZE });
  await writeFile(join(staging, 'README.md'), `# shapes-llava\n\n${SHAPES_LLAVA_DESCRIPTION}\n`);
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
}

export const shapesLlava: ModelPackage = {
  name: 'shapes-llava',
  test: { note: "Trained on generated shapes; names one shape's colour and kind, weaker on several." },
  build: (outDir) => buildShapesLlava(outDir),
};
