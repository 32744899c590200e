/**
 * `glimpse bench`'s child on webgpu, on Chromium's SwiftShader adapter: Glimpse runs as `glimpse ask
 * --backend webgpu` does, onnxruntime-web over Dawn with its decode steps replayed from a captured graph,
 * and says so. The child prints its result and writes nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SystemResult } from '../report';
import { type NodeJob, RESULT_PREFIX } from './job';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

const JOB: NodeJob = {
  system: 'glimpse',
  backend: 'webgpu',
  modelDir: 'models/tiny-llava-fused',
  imageSize: 64,
  dtype: {},
  plan: { runs: 1, maxNewTokens: 6, turns: 1, maxNewTokensPerTurn: 2, draftTokens: 0 },
  wasmThreads: 1,
  cpuThreads: 1,
  staticCache: true,
  rowCache: true,
  packedQkv: true,
  graphCapture: true,
};

async function runSystem(job: NodeJob): Promise<SystemResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/bench/node/run-system.ts', JSON.stringify(job)],
    {
      cwd: ROOT,
      // Dawn and onnxruntime-node's own Dawn read the loader's environment when they start.
      env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
      maxBuffer: 2 ** 26,
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX)) ?? '';
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as SystemResult;
}

describe.skipIf(!existsSync(SWIFTSHADER))('glimpse bench on webgpu (SwiftShader)', () => {
  it('runs Glimpse on the captured path, as glimpse ask does, and says so', async () => {
    const result = await runSystem(JOB);
    expect(result.runtime).toMatch(/^onnxruntime-web [\d.]+ over Dawn \(webgpu [\d.]+\), graph captured$/);
    // The model's first step replays it: the planner measures the replay before anything else.
    expect(result.runs.map((run) => (run.decodeSteps?.replays ?? 0) > 0)).toEqual([true]);
    expect(result.files.decoder_model_static).toMatch(/^onnx\/decoder_model_static(_q4)?\.onnx$/);
    expect(result.files.decoder_model_merged).toBeUndefined();
  }, 240_000);
});
