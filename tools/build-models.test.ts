import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPackages, STAMP_FILE, toolkitHash } from './build-models';
import type { ModelPackage } from './packages/index';
import { writePackage } from './packages/write';

describe('build-models', () => {
  let root: string;
  let builds: number;
  const counting: ModelPackage = {
    test: {},
    name: 'counting',
    build: async (outDir) => {
      builds++;
      await writePackage(outDir, new Map([['config.json', { builds }]]));
    },
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'glimpse-build-'));
    builds = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('with --if-missing rebuilds only absent or stale packages', async () => {
    const models = join(root, 'models');
    const first = await buildPackages([counting], models, { ifMissing: true, hash: 'a' });
    expect(first.map((r) => r.built)).toEqual([true]);
    expect(await readFile(join(models, 'counting', STAMP_FILE), 'utf8')).toBe('a\n');
    expect((await buildPackages([counting], models, { ifMissing: true, hash: 'a' }))[0]?.built).toBe(false);
    expect((await buildPackages([counting], models, { ifMissing: true, hash: 'b' }))[0]?.built).toBe(true);
    expect((await buildPackages([counting], models, { ifMissing: false, hash: 'b' }))[0]?.built).toBe(true);
    expect(builds).toBe(3);
    expect(JSON.parse(await readFile(join(models, 'counting', 'config.json'), 'utf8'))).toEqual({
      builds: 3,
    });
  });

  it('hashes the toolkit sources but not their tests', async () => {
    const tools = join(root, 'tools');
    await mkdir(join(tools, 'sub'), { recursive: true });
    await writeFile(join(tools, 'sub', 'a.ts'), 'export const a = 1;\n');
    const before = await toolkitHash(tools);
    await writeFile(join(tools, 'sub', 'a.test.ts'), 'test\n');
    expect(await toolkitHash(tools)).toBe(before);
    await writeFile(join(tools, 'sub', 'a.ts'), 'export const a = 2;\n');
    expect(await toolkitHash(tools)).not.toBe(before);
  });
});
