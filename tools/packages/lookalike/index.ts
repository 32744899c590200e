/** The look-alike packages of the Hub registry, built into models/hub/{repo}/ (served in the Hub's layout by tools/hub-server). */
import type { ModelPackage } from '../index';
import { lookalikeFastVlm } from './fastvlm';
import { lookalikeInterleave } from './llava-interleave';
import { lookalikeNanoLlava } from './nanollava';

export const LOOKALIKE_PACKAGES: readonly ModelPackage[] = [
  lookalikeInterleave,
  lookalikeFastVlm,
  lookalikeNanoLlava,
];
