/**
 * Downloads from a Hub that behaves like the real one on the wire (tools/hub-server: tree listing with LFS
 * sha256 values and pages, resolve → 302 to a CDN whose ETag is no sha256), through the one reader the app
 * and the CLI share: listing, then the model cache.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseDtypes, partFile } from '../../src/engine/model/files';
import { fetchHubListing, nextLink } from '../../src/storage/hub-listing';
import { planFromListing } from '../../src/storage/hub-plan';
import { openCachedPackage } from '../../src/storage/model-storage';
import { createNodeFileStore } from '../../src/storage/node-file-store';
import { type HubServer, MAIN_COMMIT, startHubServer } from './hub-server';

const REPO = 'llava-hf/llava-interleave-qwen-0.5b-hf';
const DECODER = 'onnx/decoder_model_merged_q4.onnx';

let server: HubServer;
let cacheDir: string;

beforeAll(async () => {
  // Pages of 4 entries, so every listing here spans several pages.
  server = await startHubServer({ root: 'models/hub', pageSize: 4 });
});

afterAll(async () => {
  await server.close();
});

async function freshCache() {
  cacheDir = await mkdtemp(join(tmpdir(), 'glimpse-hub-download-'));
  return createNodeFileStore(cacheDir);
}

async function openRepo(repo = REPO) {
  const listing = await fetchHubListing(repo, 'main', { endpoint: server.origin });
  const store = await freshCache();
  const reader = await openCachedPackage(store, {
    modelId: repo,
    baseUrl: listing.baseUrl,
    manifest: listing.files,
    origin: server.origin,
  });
  return { listing, reader, store };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('the Hub listing', () => {
  it('follows every page, pins the commit and carries the sha256 of each LFS file', async () => {
    const listing = await fetchHubListing(REPO, 'main', { endpoint: server.origin });
    expect(listing.commit).toBe(MAIN_COMMIT);
    expect(listing.baseUrl).toBe(`${server.origin}/${REPO}/resolve/${MAIN_COMMIT}/`);
    const pages = server.requests.filter((r) => r.url.startsWith(`/api/models/${REPO}/tree/`));
    expect(pages.length).toBeGreaterThan(2);
    const decoder = listing.files.find((file) => file.path === DECODER);
    const bytes = await readFile(`models/hub/${REPO}/${DECODER}`);
    expect(decoder).toEqual({ path: DECODER, size: bytes.byteLength, sha256: sha256(bytes) });
    expect(listing.files.find((file) => file.path === 'config.json')?.sha256).toBeUndefined();
    expect(listing.files.some((file) => file.path === 'onnx')).toBe(false);
  });

  it('says which repository or revision does not exist', async () => {
    await expect(fetchHubListing('nobody/nothing', 'main', { endpoint: server.origin })).rejects.toThrow(
      /nobody\/nothing.*RepoNotFound/,
    );
    await expect(fetchHubListing(REPO, 'v9', { endpoint: server.origin })).rejects.toThrow(
      /RevisionNotFound/,
    );
  });

  it('reads the next page from a Link header wherever rel="next" stands', () => {
    expect(nextLink('<https://hf.co/api/x?cursor=2>; rel="next"', 'https://hf.co/a')).toBe(
      'https://hf.co/api/x?cursor=2',
    );
    expect(nextLink('</p2>; rel="prev", </p3>; rel="next"', 'https://hf.co/a')).toBe('https://hf.co/p3');
    expect(nextLink(null, 'https://hf.co/a')).toBeUndefined();
  });
});

describe('downloads checked against the listing', () => {
  it('plans only among listed files and never requests a dtype the repository lacks', async () => {
    const listing = await fetchHubListing('Xenova/nanoLLaVA', 'main', { endpoint: server.origin });
    const plan = planFromListing(listing.files, 'wasm');
    expect(plan.dtype.vision_encoder).toBe('fp32');
    const { reader } = await openRepo('Xenova/nanoLLaVA');
    const from = server.requests.length;
    expect(await reader.read(partFile('vision_encoder', 'q4'))).toBeNull();
    expect(await reader.read(partFile('vision_encoder', 'fp32'))).not.toBeNull();
    const asked = server.requests.slice(from).map((r) => r.url);
    expect(asked).toEqual([`/Xenova/nanoLLaVA/resolve/${MAIN_COMMIT}/onnx/vision_encoder.onnx`]);
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('refuses corrupted CDN bytes, naming the file, and keeps nothing of them', async () => {
    const { reader, store } = await openRepo();
    server.corrupt.add(`${REPO}/${DECODER}`);
    try {
      await expect(reader.read(DECODER)).rejects.toThrow(
        new RegExp(`${DECODER}.*did not match its checksum`),
      );
    } finally {
      server.corrupt.clear();
    }
    expect(await store.listFiles(`${encodeURIComponent(REPO)}/files/onnx`)).toEqual([]);
    const bytes = await reader.read(DECODER);
    expect(bytes && sha256(bytes)).toBe(sha256(await readFile(`models/hub/${REPO}/${DECODER}`)));
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('resumes an interrupted download with a range request and verifies the whole file', async () => {
    const { reader } = await openRepo();
    server.cutOnce.set(`${REPO}/${DECODER}`, 100_000);
    await expect(reader.read(DECODER)).rejects.toThrow(/download/i);
    const from = server.cdnRequests.length;
    const bytes = await reader.read(DECODER);
    expect(bytes && sha256(bytes)).toBe(sha256(await readFile(`models/hub/${REPO}/${DECODER}`)));
    expect(server.cdnRequests.slice(from).map((r) => r.range)).toEqual(['bytes=100000-']);
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('refuses a resumed file whose bytes do not match, and loads nothing partial', async () => {
    const { reader } = await openRepo();
    server.cutOnce.set(`${REPO}/${DECODER}`, 100_000);
    await expect(reader.read(DECODER)).rejects.toThrow(/download/i);
    server.corrupt.add(`${REPO}/${DECODER}`);
    try {
      await expect(reader.read(DECODER)).rejects.toThrow(/did not match its checksum/);
    } finally {
      server.corrupt.clear();
    }
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('picks the same files as the worker does for the same device', async () => {
    const listing = await fetchHubListing(REPO, 'main', { endpoint: server.origin });
    for (const device of ['wasm', 'webgpu', 'webgpu-f16'] as const)
      expect(planFromListing(listing.files, device).dtype).toEqual(
        chooseDtypes(
          listing.files.map((file) => file.path),
          device,
        ),
      );
  });
});
