/**
 * The graph-captured decode path on Chromium's SwiftShader adapter, through the real CLI (Dawn finds the
 * adapter through the loader's environment): `glimpse generate --backend webgpu` on stories260K runs
 * onnxruntime-web over Dawn, replays the captured step of the static-cache graph and gives the documented
 * 256-token greedy sample; a prompt past SwiftShader's 32-position attention fault, prefilled in chunks,
 * gives onnxruntime-node's CPU tokens. Catches a capture that replays stale inputs, a KV cache that is not
 * shared between past and present (the sample drifts after the first step), a wrong argmax, a prefill
 * that is not split by the load-time attention check, and a CLI that silently stays on onnxruntime-node.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { glimpse, glimpseWith, STORIES_SAMPLE } from '../../src/testing/glimpse-bin';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const STATIC = join(ROOT, 'models/stories260k/onnx/decoder_model_static.onnx');
const ENV = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };
const GREEDY = ['generate', '--model', 'models/stories260k', '--temperature', '0', '--json'];
// 47 positions with BOS, past the 32 that SwiftShader's attention gets wrong in one run.
const LONG_PROMPT =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball';

interface Output {
  readonly tokenIds: readonly number[];
  readonly stats: { readonly promptTokens: number; readonly graphCapture?: boolean };
  readonly model: { readonly runtime: string; readonly staticDecoder?: string };
}

function parse(run: { code: number; stdout: string; stderr: string }): Output {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Output;
}

describe.skipIf(!existsSync(SWIFTSHADER) || !existsSync(`${STORIES_SAMPLE}.ids`))(
  'captured WebGPU decode (glimpse generate, Dawn, SwiftShader)',
  () => {
    it("replays stories260K's static-cache step into the documented greedy sample", async () => {
      expect(existsSync(STATIC), 'npm run models builds decoder_model_static.onnx').toBe(true);
      const expected = (await readFile(`${STORIES_SAMPLE}.ids`, 'utf8')).trim().split(/\s+/).map(Number);
      const args = ['--max-new-tokens', String(expected.length), ''];
      const output = parse(await glimpseWith(ENV, ...GREEDY, '--backend', 'webgpu', ...args));
      expect(output.model).toMatchObject({
        runtime: 'onnxruntime-web+dawn',
        staticDecoder: 'onnx/decoder_model_static.onnx',
      });
      expect(output.stats.graphCapture).toBe(true);
      expect(output.tokenIds).toEqual(expected);
    }, 600_000);

    it('prefills a prompt past the attention run limit in chunks, giving the CPU tokens', async () => {
      const args = ['--max-new-tokens', '16', LONG_PROMPT];
      const cpu = parse(await glimpse(...GREEDY, '--backend', 'cpu', ...args));
      const gpu = parse(await glimpseWith(ENV, ...GREEDY, '--backend', 'webgpu', ...args));
      expect(gpu.stats.promptTokens).toBeGreaterThanOrEqual(40);
      expect(gpu.stats.graphCapture).toBe(true);
      expect(gpu.tokenIds).toEqual(cpu.tokenIds);
    }, 600_000);
  },
);
