/** Every model package that `npm run models` builds into models/<name>/. */
import { LOOKALIKE_PACKAGES } from './lookalike/index';
import { shapesLlava } from './shapes-llava';
import { stories260k } from './stories260k';
import { tinyLlava } from './tiny-llava';
import { tinyLlavaFused } from './tiny-llava-fused';

/**
 * What the app should say of a package that exists to test Glimpse: written to the package's glimpse.json,
 * served in /models/index.json, and shown beside the package, which is listed apart as a test model and
 * never loaded unless asked for.
 */
export interface TestModelDeclaration {
  /** What a person should know before asking it anything, e.g. that answers are not about the picture. */
  readonly note?: string;
}

export interface ModelPackage {
  readonly name: string;
  /** Every package built here is a test model; the declaration says so and what to expect of it. */
  readonly test: TestModelDeclaration;
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
