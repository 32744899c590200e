import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelsMiddleware } from './serve-models';

const weights = new Uint8Array(1000).map((_, i) => i % 251);
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

let root: string;
let server: Server;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glimpse-models-'));
  await mkdir(join(root, 'tiny', 'onnx'), { recursive: true });
  await writeFile(join(root, 'tiny', 'config.json'), '{"model_type":"llava"}');
  await writeFile(join(root, 'tiny', 'onnx', 'decoder.onnx'), weights);
  await writeFile(join(root, 'tiny', '.DS_Store'), 'x');
  await mkdir(join(root, 'registry'));
  await writeFile(join(root, 'registry', 'hub.json'), '{}');
  const middleware = createModelsMiddleware(root);
  server = createServer((req, res) =>
    middleware(req, res, () => {
      res.writeHead(418);
      res.end();
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.close();
  await rm(root, { recursive: true });
});

describe('serve-models', () => {
  it('lists every package folder with sizes and sha256, skipping dotfiles and non-packages', async () => {
    const res = await fetch(`${base}/models/index.json`);
    expect(await res.json()).toEqual({
      models: [
        {
          id: 'tiny',
          files: [
            { path: 'config.json', size: 22, sha256: sha256('{"model_type":"llava"}') },
            { path: 'onnx/decoder.onnx', size: 1000, sha256: sha256(weights) },
          ],
        },
      ],
    });
  });

  it('serves a whole file with its sha256 as a quoted ETag and range support', async () => {
    const res = await fetch(`${base}/models/tiny/onnx/decoder.onnx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${sha256(weights)}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(weights);
  });

  it('answers an open-ended range with 206 and the rest of the file', async () => {
    const res = await fetch(`${base}/models/tiny/onnx/decoder.onnx`, { headers: { Range: 'bytes=600-' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 600-999/1000');
    expect(res.headers.get('content-length')).toBe('400');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(weights.subarray(600));
  });

  it('answers a range past the end with 416', async () => {
    const res = await fetch(`${base}/models/tiny/onnx/decoder.onnx`, { headers: { Range: 'bytes=1000-' } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */1000');
  });

  it('gives 404 for missing files, dotfiles and paths that climb out of the folder', async () => {
    for (const path of ['tiny/missing.json', 'tiny/.DS_Store', 'tiny/..%2f..%2fetc%2fpasswd', 'tiny']) {
      expect((await fetch(`${base}/models/${path}`)).status, path).toBe(404);
    }
  });

  it('leaves other URLs to the next middleware', async () => {
    expect((await fetch(`${base}/index.html`)).status).toBe(418);
  });

  // In dev, Vite must turn the imported registry JSON into a module; served raw it broke `npm start`.
  it('leaves the registry, which the app imports as source, to Vite', async () => {
    expect((await fetch(`${base}/models/registry/hub.json?import`)).status).toBe(418);
  });
});
