/**
 * The graph-captured decode path on Chromium's SwiftShader adapter, in a child process (Dawn finds the
 * adapter through the loader's environment): onnxruntime-web over Dawn replays the captured step of
 * stories260K's static-cache graph and gives the documented 256-token greedy sample, and the same graph
 * run without replay gives the same tokens. Catches a capture that replays stale inputs, a KV cache that
 * is not shared between past and present (the sample drifts after the first step), and a wrong argmax.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SHARED_DIR } from '../data/stories260k';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SAMPLE = join(SHARED_DIR, 'greedy-from-bos.ids');
const STATIC = join(ROOT, 'models/stories260k/onnx/decoder_model_static.onnx');

describe.skipIf(!existsSync(SWIFTSHADER) || !existsSync(SAMPLE))(
  'captured WebGPU decode (Dawn, SwiftShader)',
  () => {
    it("replays stories260K's static-cache step into the documented greedy sample", async () => {
      expect(existsSync(STATIC), 'npm run models builds decoder_model_static.onnx').toBe(true);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'tools/testing/captured-decode.ts',
          '--package',
          'models/stories260k',
          '--max-new-tokens',
          '256',
          '--max-length',
          '512',
          '--expect',
          SAMPLE,
          '--compare-uncaptured',
          '8',
        ],
        {
          cwd: ROOT,
          env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
          maxBuffer: 16 << 20,
        },
      );
      const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      expect(report).toMatchObject({
        graphCapture: true,
        expectedLength: 256,
        expectedMatch: 256,
        uncapturedAgrees: true,
      });
    }, 600_000);
  },
);
