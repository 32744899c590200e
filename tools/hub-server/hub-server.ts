/**
 * A local stand-in for the Hugging Face Hub that behaves like it on the wire, for tests. `{root}/{owner}/
 * {name}/{path}` is one repository at one commit. Two origins, as on the real Hub:
 * - the Hub: `GET /api/models/{repo}/revision/{rev}` (the commit), `GET /api/models/{repo}/tree/{rev}
 *   ?recursive=true` (every file; LFS entries with `lfs.oid` = sha256 and `size`; paged with a
 *   `Link: <…>; rel="next"` header), and `resolve/{rev}/{path}`: a git file answered here with its git blob
 *   sha1 as ETag, an LFS file (ONNX weights) answered with a 302 to the CDN that carries `X-Linked-Size`
 *   and `X-Linked-Etag` (the sha256) — only the redirect carries them; `X-Repo-Commit` everywhere; 404
 *   with `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound).
 * - the CDN: the bytes, with a multipart-style ETag (`"{md5}-{parts}"`, not a sha256) and byte ranges.
 * CORS on both, as a browser needs. A test can corrupt what the CDN sends for a file, or cut a download
 * off once after some bytes, and reads back every request each origin saw.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { parseByteRange } from '../../src/serve/byte-range';
import { FileDigests } from '../../src/serve/file-digest';

/** Files the Hub keeps in LFS by default (.gitattributes of a new repository, the ones a package has). */
const LFS = /\.(onnx|onnx_data(_\d+)?|safetensors|bin|pt|msgpack|h5)$/;

export interface HubServerOptions {
  /** Holds `{owner}/{name}/…` folders. */
  readonly root: string;
  /** Revisions answered besides 'main'; each maps to its commit. */
  readonly revisions?: Readonly<Record<string, string>>;
  /** Entries per page of the tree listing (the real Hub pages by 1000, and by fewer with `expand`). */
  readonly pageSize?: number;
}

export interface HubRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
}

export interface HubServer {
  /** The Hub's origin: its API and resolve URLs. */
  readonly origin: string;
  /** The CDN's origin, where LFS files are redirected. */
  readonly cdnOrigin: string;
  /** Requests to the Hub origin. */
  readonly requests: HubRequest[];
  /** Requests to the CDN, with `url` as the repository path they serve (`/{repo}/{path}`). */
  readonly cdnRequests: HubRequest[];
  /** Repository paths (`{repo}/{path}`) whose CDN bytes come back with one byte flipped. */
  readonly corrupt: Set<string>;
  /** Repository path → bytes after which the next CDN response for it is cut off (once). */
  readonly cutOnce: Map<string, number>;
  close(): Promise<void>;
}

export const MAIN_COMMIT = 'a'.repeat(40);
const RESOLVE = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/;
const API = /^\/api\/models\/([^/]+)\/([^/]+)\/(revision|tree)\/([^/]+)$/;
const CDN = /^\/repos\/([^/]+)\/([^/]+)\/(.+)$/;
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Content-Range, ETag, Link, X-Repo-Commit, X-Linked-Size, X-Linked-ETag, X-Error-Code',
};

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const root = resolve(options.root);
  const commits: Record<string, string> = { main: MAIN_COMMIT, ...options.revisions };
  const pageSize = options.pageSize ?? 1000;
  const digests = new FileDigests();
  const requests: HubRequest[] = [];
  const cdnRequests: HubRequest[] = [];
  const corrupt = new Set<string>();
  const cutOnce = new Map<string, number>();
  let cdnOrigin = '';

  const hub = createServer((req, res) => {
    requests.push(record(req));
    handle(req, res, answerHub);
  });
  const cdn = createServer((req, res) => {
    cdnRequests.push(record(req));
    handle(req, res, answerCdn);
  });

  /** The repository folder and the commit a revision names, or a 404 already sent. */
  async function repository(
    res: ServerResponse,
    owner: string,
    name: string,
    revision: string,
  ): Promise<{ dir: string; commit: string } | undefined> {
    const dir = resolve(root, owner, name);
    const info = await stat(dir).catch(() => undefined);
    if (
      !dir.startsWith(root + sep) ||
      owner.startsWith('.') ||
      name.startsWith('.') ||
      !info?.isDirectory()
    ) {
      notFound(res, 'RepoNotFound');
      return undefined;
    }
    const commit = commits[revision] ?? (Object.values(commits).includes(revision) ? revision : undefined);
    if (commit === undefined) {
      notFound(res, 'RevisionNotFound');
      return undefined;
    }
    return { dir, commit };
  }

  async function answerHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const api = API.exec(url.pathname);
    if (api) {
      const [, owner = '', name = '', kind, revision = ''] = api.map(decodeURIComponent);
      const repo = await repository(res, owner, name, revision);
      if (!repo) return;
      if (kind === 'revision')
        return sendJson(res, { id: `${owner}/${name}`, sha: repo.commit }, repo.commit);
      const entries = await listTree(repo.dir, url.searchParams.get('recursive') === 'true');
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const next = cursor + pageSize < entries.length ? new URL(url.href) : undefined;
      next?.searchParams.set('cursor', String(cursor + pageSize));
      const link: Record<string, string> = next
        ? { Link: `<${hubOrigin}${next.pathname}${next.search}>; rel="next"` }
        : {};
      return sendJson(
        res,
        await Promise.all(page.map((entry) => treeEntry(repo.dir, entry))),
        repo.commit,
        link,
      );
    }
    const resolved = RESOLVE.exec(url.pathname);
    if (!resolved) return notFound(res, 'EntryNotFound');
    const [, owner = '', name = '', revision = '', path = ''] = resolved.map(decodeURIComponent);
    const repo = await repository(res, owner, name, revision);
    if (!repo) return;
    const full = await fileIn(repo.dir, path);
    if (!full) return notFound(res, 'EntryNotFound', repo.commit);
    const { size } = await stat(full);
    if (LFS.test(path)) {
      const sha256 = await digests.sha256(full);
      res.writeHead(302, {
        ...CORS,
        Location: `${cdnOrigin}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/${path
          .split('/')
          .map(encodeURIComponent)
          .join('/')}`,
        'X-Repo-Commit': repo.commit,
        'X-Linked-Size': size,
        'X-Linked-Etag': `"${sha256}"`,
        ETag: `"${sha256}"`,
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    const bytes = await readFile(full);
    sendBytes(req, res, bytes, { 'X-Repo-Commit': repo.commit, ETag: `"${gitBlobSha(bytes)}"` });
  }

  async function answerCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = CDN.exec(new URL(req.url ?? '/', 'http://cdn').pathname);
    const [, owner = '', name = '', path = ''] = match?.map(decodeURIComponent) ?? [];
    const dir = resolve(root, owner, name);
    const full = match && dir.startsWith(root + sep) ? await fileIn(dir, path) : undefined;
    if (!full) {
      res.writeHead(403, { ...CORS, 'Content-Type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    const key = `${owner}/${name}/${path}`;
    const bytes = Buffer.from(await readFile(full));
    // An S3-style multipart ETag: the md5 of the parts' md5s and their count; no sha256 in it.
    const parts = Math.max(1, Math.ceil(bytes.byteLength / (8 * 1024 * 1024)));
    const etag = `"${createHash('md5').update(bytes).digest('hex')}-${parts}"`;
    if (corrupt.has(key) && bytes.byteLength > 0) {
      const at = Math.floor(bytes.byteLength / 2);
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    }
    const cut = cutOnce.get(key);
    if (cut !== undefined) cutOnce.delete(key);
    sendBytes(req, res, bytes, { ETag: etag, 'Cache-Control': 'public, max-age=604800, immutable' }, cut);
  }

  hub.keepAliveTimeout = 60_000;
  cdn.keepAliveTimeout = 60_000;
  const hubOrigin = await listen(hub);
  cdnOrigin = await listen(cdn);
  return {
    origin: hubOrigin,
    cdnOrigin,
    requests,
    cdnRequests,
    corrupt,
    cutOnce,
    async close() {
      await Promise.all([hub, cdn].map(closeServer));
    },
  };
}

interface TreeItem {
  readonly path: string;
  readonly directory: boolean;
}

async function listTree(dir: string, recursive: boolean): Promise<TreeItem[]> {
  const entries = await readdir(dir, { recursive, withFileTypes: true });
  return entries
    .map((entry) => ({
      path: relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'),
      directory: entry.isDirectory(),
    }))
    .filter((item) => !item.path.split('/').some((part) => part.startsWith('.')))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function treeEntry(dir: string, item: TreeItem): Promise<object> {
  if (item.directory)
    return { type: 'directory', oid: gitBlobSha(Buffer.from(item.path)), size: 0, path: item.path };
  const bytes = await readFile(join(dir, ...item.path.split('/')));
  if (!LFS.test(item.path))
    return { type: 'file', oid: gitBlobSha(bytes), size: bytes.byteLength, path: item.path };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.byteLength}\n`;
  return {
    type: 'file',
    oid: gitBlobSha(Buffer.from(pointer)),
    size: bytes.byteLength,
    path: item.path,
    lfs: { oid: sha256, size: bytes.byteLength, pointerSize: pointer.length },
  };
}

/** The file at a repository path, or undefined when it is absent, a folder, a dotfile or outside. */
async function fileIn(dir: string, path: string): Promise<string | undefined> {
  const full = resolve(dir, ...path.split('/'));
  if (!full.startsWith(dir + sep) || path.split('/').some((part) => part.startsWith('.'))) return undefined;
  const info = await stat(full).catch(() => undefined);
  return info?.isFile() ? full : undefined;
}

function gitBlobSha(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

function record(req: IncomingMessage): HubRequest {
  return { method: req.method ?? 'GET', url: req.url ?? '', range: req.headers.range };
}

function handle(
  req: IncomingMessage,
  res: ServerResponse,
  answer: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): void {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...CORS,
      'Access-Control-Allow-Headers': 'Range',
      'Access-Control-Allow-Methods': 'GET, HEAD',
    });
    res.end();
    return;
  }
  answer(req, res).catch((err: unknown) => {
    if (!res.headersSent) res.writeHead(500, CORS);
    res.end(String(err));
  });
}

function notFound(res: ServerResponse, code: string, commit?: string): void {
  res.writeHead(404, {
    ...CORS,
    'Content-Type': 'application/json',
    'X-Error-Code': code,
    ...(commit ? { 'X-Repo-Commit': commit } : {}),
  });
  res.end(JSON.stringify({ error: code }));
}

function sendJson(
  res: ServerResponse,
  value: unknown,
  commit: string,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    ...CORS,
    ...extra,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'X-Repo-Commit': commit,
  });
  res.end(body);
}

/** 200, 206 for a Range, or 416; `cutAfter` ends the connection after that many body bytes. */
function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Buffer,
  headers: Record<string, string | number>,
  cutAfter?: number,
): void {
  const size = bytes.byteLength;
  const range = parseByteRange(req.headers.range, size);
  const base = { ...CORS, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', ...headers };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'Content-Range': `bytes */${size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...base,
    'Content-Length': Math.max(0, end - start + 1),
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const body = bytes.subarray(start, end + 1);
  if (cutAfter === undefined || cutAfter >= body.byteLength) {
    res.end(body);
    return;
  }
  res.write(body.subarray(0, cutAfter), () => res.destroy());
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `http://127.0.0.1:${address.port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}
