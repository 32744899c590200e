/**
 * `npm run models`: builds every package of tools/packages into models/<name>/.
 * `--if-missing` (run before `npm start` and `npm test`) rebuilds only packages whose folder is absent or
 * whose stamp differs from the hash of the toolkit's sources, so a change to the toolkit rebuilds them.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './data/stories260k';
import { type ModelPackage, PACKAGES } from './packages/index';
import { stableJson } from './packages/write';

export const STAMP_FILE = '.toolkit-hash';
/** The package's own declaration of what it is (tools/packages/index.ts TestModelDeclaration). */
export const TEST_MODEL_FILE = 'glimpse.json';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function isToolkitSource(path: string): boolean {
  return path.endsWith('.ts') && !path.endsWith('.test.ts');
}

/** sha256 over the paths and contents of the files under `toolsDir` (TypeScript sources, tests excluded). */
export async function toolkitHash(toolsDir: string, include = isToolkitSource): Promise<string> {
  const sources = (await filesUnder(toolsDir))
    .filter(include)
    .map((path) => relative(toolsDir, path).split('\\').join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const path of sources) {
    hash.update(`${path}\0`);
    hash.update(await readFile(join(toolsDir, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

async function readStamp(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, STAMP_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const path of await filesUnder(dir)) total += (await stat(path)).size;
  return total;
}

export interface BuildResult {
  readonly name: string;
  readonly bytes: number;
  /** False when --if-missing found the package current. */
  readonly built: boolean;
  readonly seconds: number;
}

export async function buildPackages(
  packages: readonly ModelPackage[],
  modelsDir: string,
  options: { ifMissing: boolean; hash: string },
): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  for (const pkg of packages) {
    const dir = join(modelsDir, pkg.name);
    const started = performance.now();
    const current = options.ifMissing && (await readStamp(dir)) === options.hash;
    if (!current) {
      await pkg.build(dir);
      await writeFile(join(dir, TEST_MODEL_FILE), stableJson({ test: { ...pkg.test } }));
      // Stamped last: a build cut short leaves no stamp and is redone by the next --if-missing run.
      await writeFile(join(dir, STAMP_FILE), `${options.hash}\n`);
    }
    const seconds = (performance.now() - started) / 1000;
    results.push({ name: pkg.name, bytes: await folderBytes(dir), built: !current, seconds });
  }
  return results;
}

async function main(): Promise<void> {
  // The packages are made by the tools, by the converter and graph builders they call, and from the
  // committed checkpoints: a change to any of them rebuilds.
  const parts = [
    await toolkitHash(join(REPO_ROOT, 'tools')),
    await toolkitHash(join(REPO_ROOT, 'src', 'toolkit')),
    await toolkitHash(join(REPO_ROOT, 'models', 'checkpoints'), () => true),
  ];
  const hash = createHash('sha256').update(parts.join('\n')).digest('hex');
  const ifMissing = process.argv.includes('--if-missing');
  const modelsDir = join(REPO_ROOT, 'models');
  for (const result of await buildPackages(PACKAGES, modelsDir, { ifMissing, hash })) {
    const size = `${(result.bytes / 1e6).toFixed(2)} MB`;
    const state = result.built ? `built in ${result.seconds.toFixed(1)} s` : 'up to date';
    console.log(`models/${result.name}: ${size}, ${state}`);
  }
}

// Run as a script (tsx tools/build-models.ts), not when a test imports the module.
const entry = process.argv[1];
if (entry !== undefined && fileURLToPath(import.meta.url) === realpathSync(entry)) await main();
