/** Builds the synthetic real-shape package into the folder given (`npx tsx tools/packages/synthetic-build.ts DIR`). */
import { syntheticInterleave } from './synthetic-interleave';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: synthetic-build.ts DIR');
await syntheticInterleave.build(dir);
