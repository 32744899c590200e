import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStories260k, SHARED_DIR, sha256Hex } from './stories260k';

describe('loadStories260k', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'glimpse-data-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads both files and checks them against the documented sha256 values', async () => {
    const files = await loadStories260k();
    expect(files.checkpoint.byteLength).toBe(1_056_540);
    expect(sha256Hex(files.tokenizer)).toBe(
      '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312',
    );
  });

  it('takes the files from the cache folder when no other folder has them', async () => {
    await copyFile(join(SHARED_DIR, 'stories260K.bin'), join(root, 'stories260K.bin'));
    await copyFile(join(SHARED_DIR, 'tok512.bin'), join(root, 'tok512.bin'));
    const files = await loadStories260k({ folders: [join(root, 'absent')], cacheDir: root });
    expect(files.tokenizer.byteLength).toBe(6227);
  });

  it('refuses a corrupted copy with a message naming the file and the expected hash', async () => {
    await copyFile(join(SHARED_DIR, 'stories260K.bin'), join(root, 'stories260K.bin'));
    await writeFile(join(root, 'tok512.bin'), 'not a tokenizer');
    await expect(loadStories260k({ folders: [root], cacheDir: join(root, 'cache') })).rejects.toThrow(
      /tok512\.bin from .* has sha256 [0-9a-f]{64}, expected 037cb335/,
    );
  });
});
