import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCachedPackage, readStoredManifests } from './model-storage';
import { createNodeFileStore } from './node-file-store';
import { sha256Hex } from './sha256';
import { type ModelServer, startModelServer } from './test-model-server';

const config = new TextEncoder().encode('{"model_type":"llava"}');
let server: ModelServer;
let cacheDir: string;

beforeAll(async () => {
  server = await startModelServer({ 'tiny/config.json': config });
  cacheDir = await mkdtemp(join(tmpdir(), 'glimpse-storage-'));
});
afterAll(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true });
});

describe('openCachedPackage', () => {
  it('keeps the manifest with the model so an offline load still serves and lists it', async () => {
    const store = createNodeFileStore(cacheDir);
    const manifest = [{ path: 'config.json', size: config.byteLength, sha256: await sha256Hex(config) }];
    const online = await openCachedPackage(store, {
      modelId: 'tiny',
      baseUrl: '/models/tiny',
      manifest,
      origin: server.origin,
    });
    expect(await online.read('config.json')).toEqual(config);

    // Port 9 (discard) refuses connections: any download attempt would fail.
    const offline = await openCachedPackage(store, {
      modelId: 'tiny',
      baseUrl: '/models/tiny',
      origin: 'http://127.0.0.1:9',
    });
    expect(await offline.read('config.json')).toEqual(config);
    expect(await offline.read('onnx/projector.onnx')).toBeNull();
    await expect(readStoredManifests(store)).resolves.toEqual([{ modelId: 'tiny', files: manifest }]);
  });
});
