#!/usr/bin/env node
// The `glimpse` command: registers tsx's loader so plain `node` runs the TypeScript CLI in src/cli.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
