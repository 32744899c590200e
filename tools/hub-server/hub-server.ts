/**
 * A local stand-in for the Hugging Face Hub's file endpoint, for tests: `{root}/{owner}/{name}/{path}` is
 * served at `/{owner}/{name}/resolve/{revision}/{path}` with the headers the Hub sends — for LFS files
 * (ONNX weights) an ETag and `x-linked-etag` that are the file's sha256 and `x-linked-size`; for git files
 * an ETag that is the git blob sha1; `x-repo-commit` everywhere; byte ranges; CORS with those headers
 * exposed — and the Hub's 404s (`x-error-code: EntryNotFound` / `RevisionNotFound`).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import { sendByteRange } from '../../src/serve/byte-range';
import { FileDigests } from '../../src/serve/file-digest';

/** Files the Hub keeps in LFS by default (.gitattributes of a new repository, the ones a package has). */
const LFS = /\.(onnx|onnx_data(_\d+)?|safetensors|bin|pt|msgpack|h5)$/;

export interface HubServerOptions {
  /** Holds `{owner}/{name}/…` folders. */
  readonly root: string;
  /** Revisions answered besides 'main'; each maps to the commit sent in x-repo-commit. */
  readonly revisions?: Readonly<Record<string, string>>;
}

export interface HubRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
}

export interface HubServer {
  readonly origin: string;
  readonly requests: HubRequest[];
  close(): Promise<void>;
}

const MAIN_COMMIT = 'a'.repeat(40);
const PATH = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/;

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const root = resolve(options.root);
  const commits: Record<string, string> = { main: MAIN_COMMIT, ...options.revisions };
  const digests = new FileDigests();
  const blobShas = new Map<string, Promise<string>>();
  const requests: HubRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', range: req.headers.range });
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers':
        'Content-Length, Content-Range, ETag, X-Repo-Commit, X-Linked-Size, X-Linked-ETag, X-Error-Code',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'Access-Control-Allow-Headers': 'Range',
        'Access-Control-Allow-Methods': 'GET, HEAD',
      });
      res.end();
      return;
    }
    const match = PATH.exec((req.url ?? '').split('?')[0] ?? '');
    const parts = match?.slice(1).map(decodeURIComponent);
    const [owner, name, revision, path] = parts ?? [];
    const notFound = (code: string) => {
      res.writeHead(404, { ...cors, 'Content-Type': 'text/plain', 'X-Error-Code': code });
      res.end(code);
    };
    if (owner === undefined || name === undefined || revision === undefined || path === undefined)
      return notFound('EntryNotFound');
    const commit = commits[revision];
    if (commit === undefined) return notFound('RevisionNotFound');
    const full = resolve(root, owner, name, ...path.split('/'));
    const info = await stat(full).catch(() => undefined);
    if (!full.startsWith(root + sep) || path.split('/').some((p) => p.startsWith('.')) || !info?.isFile())
      return notFound('EntryNotFound');

    const lfs = LFS.test(path);
    const sha256 = lfs ? await digests.sha256(full) : undefined;
    const headers: Record<string, string | number> = {
      ...cors,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'X-Repo-Commit': commit,
      ETag: `"${sha256 ?? (await gitBlobSha(full))}"`,
      ...(sha256 ? { 'X-Linked-Size': info.size, 'X-Linked-ETag': `"${sha256}"` } : {}),
    };
    sendByteRange(full, info.size, headers, req, res);
  }

  function gitBlobSha(full: string): Promise<string> {
    let sha = blobShas.get(full);
    if (!sha) {
      sha = readFile(full).then((bytes) =>
        createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex'),
      );
      blobShas.set(full, sha);
    }
    return sha;
  }

  // Longer than a slow test step, so a client never reuses a connection the server is closing.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}
