import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { sendByteRange } from './byte-range';
import { FileDigests } from './file-digest';

/** The JSON served at /models/index.json (src/storage reads the same shape). */
export interface ModelIndex {
  readonly models: readonly IndexedModel[];
}

export interface IndexedModel {
  readonly id: string;
  readonly files: readonly IndexedFile[];
  /** The package's own declaration that it is a test model (its glimpse.json), passed on as it is. */
  readonly test?: unknown;
}

export interface IndexedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

const urlPrefix = '/models/';

/**
 * Serves the repository's model packages at /models/<id>/<path> in `vite` and `vite preview` as a model
 * host does: byte ranges (resumable downloads), and an ETag that is the file's sha256 in quotes, like the
 * Hugging Face Hub's LFS ETag, so the client can verify what it stored.
 */
export function serveModels(modelsDir = 'models'): Plugin {
  const middleware = createModelsMiddleware(resolve(modelsDir));
  return {
    name: 'glimpse-serve-models',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export function createModelsMiddleware(root: string): Middleware {
  const digests = new FileDigests();
  return (req, res, next) => {
    const pathname = (req.url ?? '').split('?')[0] ?? '';
    if (!pathname.startsWith(urlPrefix) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    const rest = safeDecode(pathname.slice(urlPrefix.length));
    // models/registry/ is app source (the Hub registry, imported as a module), not a package: Vite serves it.
    if (rest?.startsWith('registry/')) {
      next();
      return;
    }
    const respond =
      rest === 'index.json' ? sendIndex(root, digests, res) : sendFile(root, rest, digests, req, res);
    respond.catch(next);
  };
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

async function sendIndex(root: string, digests: FileDigests, res: ServerResponse): Promise<void> {
  const body = JSON.stringify(await buildModelIndex(root, digests));
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(body);
}

/** Every folder under `root` with a config.json is a package; dotfiles and dot-folders are left out. */
export async function buildModelIndex(root: string, digests: FileDigests): Promise<ModelIndex> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const models: IndexedModel[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(root, entry.name);
    const paths = await listFiles(dir);
    if (!paths.includes('config.json')) continue;
    const files: IndexedFile[] = [];
    for (const path of paths) {
      const full = join(dir, path);
      files.push({ path, size: (await stat(full)).size, sha256: await digests.sha256(full) });
    }
    const test = await readTestDeclaration(join(dir, 'glimpse.json'));
    models.push(test === undefined ? { id: entry.name, files } : { id: entry.name, files, test });
  }
  return { models };
}

async function readTestDeclaration(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && 'test' in value ? value.test : undefined;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((path) => !path.split('/').some((part) => part.startsWith('.')))
    .sort();
}

async function sendFile(
  root: string,
  rest: string | undefined,
  digests: FileDigests,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const full = rest === undefined ? undefined : resolveInside(root, rest);
  const info = full === undefined ? undefined : await stat(full).catch(() => undefined);
  if (full === undefined || !info?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Cross-Origin-Resource-Policy': 'same-origin' });
    res.end('Not found');
    return;
  }
  const headers = {
    'Accept-Ranges': 'bytes',
    ETag: `"${await digests.sha256(full)}"`,
    'Content-Type': contentType(full),
    // The client keeps model files in OPFS; a second copy in the HTTP cache would only waste disk.
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  sendByteRange(full, info.size, headers, req, res);
}

/** The file for a URL path, or undefined when the path climbs out of `root` or names a dotfile. */
function resolveInside(root: string, rest: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length < 2 || parts.some((part) => part === '' || part.startsWith('.'))) return undefined;
  const full = resolve(root, ...parts);
  return full.startsWith(root + sep) ? full : undefined;
}

function contentType(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.jinja') || path.endsWith('.txt') || path.endsWith('.md'))
    return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}
