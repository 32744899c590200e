/**
 * Builds the synthetic real-shape package into the folder given: `npx tsx tools/packages/synthetic-build.ts
 * DIR [--hub]`; `--hub` gives it the Hub export's decoder layout (syntheticInterleaveFiles).
 */
import { parseArgs } from 'node:util';
import { syntheticInterleaveFiles } from './synthetic-interleave';
import { writePackage } from './write';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { hub: { type: 'boolean' } } });
const [dir] = positionals;
if (dir === undefined) throw new Error('usage: synthetic-build.ts DIR [--hub]');
await writePackage(dir, await syntheticInterleaveFiles({ hub: values.hub ?? false }));
