import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { dataPath } from './cache-records';
import { deleteCachedModel, listCachedModels, verifyCachedModel } from './cached-models';
import type { FileStore } from './file-store';
import { createHttpReader } from './http-reader';
import { createCachedReader, type ManifestFile } from './model-cache';
import { createNodeFileStore } from './node-file-store';
import { sha256Hex } from './sha256';
import { type ModelServer, startModelServer, truncatedBody } from './test-model-server';

const weights = new Uint8Array(200_000).map((_, i) => (i * 13 + 5) % 256);
const config = new TextEncoder().encode('{"model_type":"llava"}');
let manifest: ManifestFile[];
let server: ModelServer;
let cacheDir: string;
let store: FileStore;

const same = (a: Uint8Array | null | undefined, b: Uint8Array) => !!a && Buffer.from(a).equals(b);
const fileRequests = (path: string) => server.requests.filter((r) => r.url.endsWith(path));

function reader(options: { manifest?: ManifestFile[]; store?: FileStore; alwaysVerify?: boolean } = {}) {
  const source = createHttpReader('/models/tiny', { origin: server.origin });
  return createCachedReader(source, { modelId: 'tiny', store: options.store ?? store, ...options });
}

beforeAll(async () => {
  server = await startModelServer({ 'tiny/config.json': config, 'tiny/onnx/model.onnx': weights });
  manifest = [
    { path: 'config.json', size: config.byteLength, sha256: await sha256Hex(config) },
    { path: 'onnx/model.onnx', size: weights.byteLength, sha256: await sha256Hex(weights) },
  ];
});
afterAll(() => server.close());

beforeEach(async () => {
  if (cacheDir) await rm(cacheDir, { recursive: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'glimpse-cache-'));
  store = createNodeFileStore(cacheDir);
  server.requests.length = 0;
  server.intercept(undefined);
});

describe('cached model reader', () => {
  it('downloads a missing file into storage and serves it from there the next time', async () => {
    const progress: number[] = [];
    const first = await reader({ manifest }).read('onnx/model.onnx', {
      onProgress: (loaded) => progress.push(loaded),
    });
    expect(same(first, weights)).toBe(true);
    expect(progress.at(-1)).toBe(weights.byteLength);
    const second = await reader({ manifest }).read('onnx/model.onnx');
    expect(same(second, weights)).toBe(true);
    expect(fileRequests('model.onnx')).toHaveLength(1);
  });

  it('resumes an interrupted download with a Range request from the stored byte count', async () => {
    server.intercept(truncatedBody(weights, 80_000));
    const failure = await reader({ manifest })
      .read('onnx/model.onnx')
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(GlimpseError);
    expect(failure).toMatchObject({ code: 'download-failed' });
    const stored = (await store.stat(dataPath('tiny', 'onnx/model.onnx')))?.size ?? 0;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(weights.byteLength);

    server.intercept(undefined);
    const bytes = await reader({ manifest }).read('onnx/model.onnx');
    expect(same(bytes, weights)).toBe(true);
    expect(fileRequests('model.onnx').at(-1)?.range).toBe(`bytes=${stored}-`);
  });

  it('starts over when the server answers a Range request with the whole file', async () => {
    server.intercept(truncatedBody(weights, 50_000));
    await expect(reader({ manifest }).read('onnx/model.onnx')).rejects.toThrow();
    server.intercept((req) => {
      delete req.headers.range;
      return false;
    });
    expect(same(await reader({ manifest }).read('onnx/model.onnx'), weights)).toBe(true);
  });

  it('detects a stored file corrupted in place, deletes it and fetches it again', async () => {
    await reader({ manifest }).read('onnx/model.onnx');
    const corrupted = weights.slice();
    corrupted.fill(0, 1000, 2000);
    await writeFile(join(cacheDir, dataPath('tiny', 'onnx/model.onnx')), corrupted);
    expect(same(await reader({ manifest }).read('onnx/model.onnx'), weights)).toBe(true);
    expect(fileRequests('model.onnx')).toHaveLength(2);
  });

  it('verifies against the sha256 ETag when there is no manifest, and never keeps a corrupt download', async () => {
    const tampered = weights.slice();
    tampered[5] = (tampered[5] ?? 0) ^ 0xff;
    server.intercept((_req, res) => {
      res.writeHead(200, { 'Content-Length': tampered.byteLength, ETag: `"${manifest[1]?.sha256}"` });
      res.end(tampered);
      return true;
    });
    await expect(reader().read('onnx/model.onnx')).rejects.toMatchObject({ code: 'download-failed' });
    expect(await store.stat(dataPath('tiny', 'onnx/model.onnx'))).toBeUndefined();
    server.intercept(undefined);
    expect(same(await reader().read('onnx/model.onnx'), weights)).toBe(true);
  });

  it('refuses a download that cannot fit before sending any request', async () => {
    const small = createNodeFileStore(cacheDir, { quotaBytes: 100_000 });
    const failure = await reader({ manifest, store: small })
      .read('onnx/model.onnx')
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'quota-exceeded', details: { needed: weights.byteLength } });
    expect(fileRequests('model.onnx')).toHaveLength(0);
  });

  it('answers null for files the package lacks, and remembers a 404 so it works offline', async () => {
    expect(await reader({ manifest }).read('onnx/projector.onnx')).toBeNull();
    expect(fileRequests('projector.onnx')).toHaveLength(0);
    expect(await reader().read('chat_template.json')).toBeNull();
    expect(await reader().read('chat_template.json')).toBeNull();
    expect(fileRequests('chat_template.json')).toHaveLength(1);
  });

  it('lists cached models with their sizes and deletes one', async () => {
    await reader({ manifest }).read('onnx/model.onnx');
    await reader({ manifest }).read('config.json');
    const [model] = await listCachedModels(store);
    expect(model?.modelId).toBe('tiny');
    expect(model?.bytes).toBeGreaterThanOrEqual(weights.byteLength + config.byteLength);
    await deleteCachedModel(store, 'tiny');
    expect(await listCachedModels(store)).toEqual([]);
  });

  it('a full verification finds damage that left size and modification time unchanged', async () => {
    await reader({ manifest }).read('onnx/model.onnx');
    const file = join(cacheDir, dataPath('tiny', 'onnx/model.onnx'));
    const { atime, mtime } = await stat(file);
    const damaged = weights.slice();
    damaged[100] = (damaged[100] ?? 0) ^ 1;
    await writeFile(file, damaged);
    await utimes(file, atime, mtime);

    expect(await verifyCachedModel(store, 'tiny')).toEqual({ checked: 1, removed: ['onnx/model.onnx'] });
    expect(same(await reader({ manifest }).read('onnx/model.onnx'), weights)).toBe(true);
    expect(fileRequests('model.onnx')).toHaveLength(2);
  });
});
