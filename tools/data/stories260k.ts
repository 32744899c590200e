/**
 * The stories260K checkpoint and tokenizer (llama2.c, MIT): third-party data that is never committed.
 * Read from the shared data folder beside the repository, else from the local cache, else downloaded from
 * its public home; every copy is checked against the sha256 values of the data folder's README.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface DataFile {
  readonly name: string;
  readonly url: string;
  readonly sha256: string;
}

const HUB = 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K';

const CHECKPOINT: DataFile = {
  name: 'stories260K.bin',
  url: `${HUB}/stories260K.bin`,
  sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696',
};
const TOKENIZER: DataFile = {
  name: 'tok512.bin',
  url: `${HUB}/tok512.bin`,
  sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312',
};

export const SHARED_DIR = join(REPO_ROOT, '..', 'shared', 'data', 'stories260k');
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'stories260k');

export interface Stories260kFiles {
  readonly checkpoint: Uint8Array;
  readonly tokenizer: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

function verified(file: DataFile, bytes: Uint8Array, source: string): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new Error(
      `${file.name} from ${source} has sha256 ${actual}, expected ${file.sha256}: ` +
        'replace that copy with the original file, or delete it so that the next build downloads it.',
    );
  }
  return bytes;
}

export interface DataLocations {
  /** Folders searched in order for the files. */
  readonly folders: readonly string[];
  /** Where a download is kept; searched after `folders`. */
  readonly cacheDir: string;
}

const DEFAULT_LOCATIONS: DataLocations = { folders: [SHARED_DIR], cacheDir: CACHE_DIR };

async function download(file: DataFile, cacheDir: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(file.url);
  } catch (error) {
    throw new Error(`could not download ${file.url} (${String(error)}); put ${file.name} into ${SHARED_DIR}`);
  }
  if (!response.ok) throw new Error(`downloading ${file.url} failed: HTTP ${response.status}`);
  const bytes = verified(file, new Uint8Array(await response.arrayBuffer()), file.url);
  await mkdir(cacheDir, { recursive: true });
  const target = join(cacheDir, file.name);
  await writeFile(`${target}.part`, bytes);
  await rename(`${target}.part`, target);
  return bytes;
}

async function load(file: DataFile, locations: DataLocations): Promise<Uint8Array> {
  for (const dir of [...locations.folders, locations.cacheDir]) {
    const path = join(dir, file.name);
    const bytes = await readIfPresent(path);
    if (bytes) return verified(file, bytes, path);
  }
  return download(file, locations.cacheDir);
}

/** The two files, each checked against its sha256; a copy that fails the check is an error, never skipped. */
export async function loadStories260k(
  locations: DataLocations = DEFAULT_LOCATIONS,
): Promise<Stories260kFiles> {
  const [checkpoint, tokenizer] = await Promise.all([
    load(CHECKPOINT, locations),
    load(TOKENIZER, locations),
  ]);
  return { checkpoint, tokenizer };
}

/** The documented greedy sample from BOS, for tests: its ids and its text. */
export async function loadGreedyFromBos(): Promise<{ ids: number[]; text: string }> {
  const ids = (await readFile(join(SHARED_DIR, 'greedy-from-bos.ids'), 'utf8'))
    .trim()
    .split(/\s+/)
    .map(Number);
  const text = await readFile(join(SHARED_DIR, 'greedy-from-bos.txt'), 'utf8');
  return { ids, text };
}
