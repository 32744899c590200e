import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createModelsMiddleware } from '../serve/serve-models';

/** What the test server received, one entry per request. */
export interface ReceivedRequest {
  readonly url: string;
  readonly range: string | undefined;
}

/** Lets a test change one answer, e.g. cut a body short; return true when it has answered. */
export type Interceptor = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The real /models/ middleware over a temporary folder, on a local port: the unit tests of the readers
 * talk HTTP to the same code `vite preview` runs.
 */
export async function startModelServer(files: Record<string, Uint8Array | string>) {
  const root = await mkdtemp(join(tmpdir(), 'glimpse-server-'));
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
  const requests: ReceivedRequest[] = [];
  let interceptor: Interceptor | undefined;
  const middleware = createModelsMiddleware(root);
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (interceptor?.(req, res)) return;
    middleware(req, res, () => {
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    root,
    requests,
    intercept(next: Interceptor | undefined) {
      interceptor = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await rm(root, { recursive: true });
    },
  };
}

export type ModelServer = Awaited<ReturnType<typeof startModelServer>>;

/** Answers with the full Content-Length of `size` but sends only the first `sent` bytes, then drops the socket. */
export function truncatedBody(bytes: Uint8Array, sent: number): Interceptor {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Length': bytes.byteLength, 'Content-Type': 'application/octet-stream' });
    res.write(bytes.subarray(0, sent), () => res.destroy());
    return true;
  };
}
