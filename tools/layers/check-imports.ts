/**
 * The layer rules for our own imports, which Biome's noRestrictedImports can only say for packages.
 * `npm run check` runs this over every tracked source file; `checkImports` is the rule set itself.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Violation {
  readonly file: string;
  readonly target: string;
  readonly rule: string;
}

interface ImportEdge {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

// Static imports and re-exports (`import type` / `export type` are erased), and dynamic import().
const STATIC = /^\s*(?:import|export)(\s+type)?\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of source.matchAll(STATIC))
    edges.push({ specifier: m[2] ?? '', typeOnly: m[1] !== undefined });
  for (const m of source.matchAll(DYNAMIC)) edges.push({ specifier: m[1] ?? '', typeOnly: false });
  return edges;
}

const UI_REACHES = ['src/ui/', 'src/state/', 'src/pwa/'];

export function isTest(file: string): boolean {
  return (
    /\.(test|spec)\.tsx?$/.test(file) ||
    file.startsWith('e2e/') ||
    /^(playwright|vitest)\.config\.ts$/.test(file)
  );
}

/** Helpers only tests use: a `testing/` folder, a `*-fixture` module, or a `test-*` module. */
export function isTestSupport(file: string): boolean {
  return /(^|\/)testing\//.test(file) || /(^|\/)test-[^/]*$/.test(file) || /fixture[^/]*$/.test(file);
}

/** Resolves a relative specifier to a repository path (extension-less targets are matched by prefix). */
function resolveSpecifier(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return normalize(join(dirname(file), specifier)).replaceAll('\\', '/');
}

/** Checks every file's imports against the layer rules; `files` maps repository paths to their source. */
export function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    for (const edge of importsOf(source)) {
      const target = resolveSpecifier(file, edge.specifier);
      if (target === undefined) continue;
      const add = (rule: string) => violations.push({ file, target, rule });
      if (file.startsWith('src/') && (target.startsWith('tools/') || target.startsWith('bench/'))) {
        add('src/ never imports tools/ or bench/: what the CLI and the app run lives under src/');
      }
      if (
        file.startsWith('src/ui/') &&
        !edge.typeOnly &&
        target.startsWith('src/') &&
        !(isTest(file) && isTestSupport(target)) &&
        !UI_REACHES.some((layer) => target.startsWith(layer))
      ) {
        add('the UI reaches state only: engine, worker and storage modules are imported as types at most');
      }
      if (isTestSupport(target) && !isTest(file) && !isTestSupport(file)) {
        add('test fixtures serve tests only: move shared code out of the fixture');
      }
    }
  }
  return violations;
}

function trackedSources(root: string): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  const files = new Map<string, string>();
  for (const path of listed.split('\n')) {
    if (!/\.(ts|tsx|mts|mjs)$/.test(path) || path.startsWith('models/')) continue;
    try {
      files.set(path, readFileSync(join(root, path), 'utf8'));
    } catch {
      // Listed but deleted in the working tree: nothing to check.
    }
  }
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const violations = checkImports(trackedSources(root));
  for (const v of violations) console.error(`${v.file} imports ${v.target}: ${v.rule}`);
  if (violations.length > 0) {
    console.error(`${violations.length} import(s) break the layer rules.`);
    process.exitCode = 1;
  }
}
