/** Every model package that `npm run models` builds into models/<name>/. */
import { LOOKALIKE_PACKAGES } from './lookalike/index';
import { shapesLlava } from './shapes-llava';
import { stories260k } from './stories260k';
import { tinyLlava } from './tiny-llava';
import { tinyLlavaFused } from './tiny-llava-fused';

export interface ModelPackage {
  readonly name: string;
  /** Writes the whole package folder (replacing it). */
  build(outDir: string): Promise<void>;
}

export const PACKAGES: readonly ModelPackage[] = [
  stories260k,
  tinyLlava,
  tinyLlavaFused,
  shapesLlava,
  ...LOOKALIKE_PACKAGES,
];
