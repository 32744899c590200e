/**
 * The cause of the WebGPU prefill fault (narrow-subgroups.ts), on onnxruntime-web's WebGPU provider in Node
 * over Dawn on Chromium's SwiftShader adapter, whose subgroups are 4 wide: one GroupQueryAttention node
 * against the same attention in float64 arithmetic. With the adapter's subgroups left to onnxruntime, runs
 * of 31 new positions are right and runs of 32 or more wrong; with them hidden, as the engine's runtimes
 * now hand the adapter over, every length is right. The first half fails once an onnxruntime release
 * fixes its kernel, which is when the hiding can go.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ENV = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };
/** attention-check.ts's float32 tolerance. */
const TOLERANCE = 1e-3;

interface Report {
  readonly subgroupWidths: [number | null, number | null];
  readonly errors: Record<string, number>;
}

/** One mode in a process of its own: onnxruntime keeps the first device it makes. */
async function report(...args: string[]): Promise<Report> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'tools/testing/subgroup-attention.ts', ...args],
    { cwd: ROOT, env: { ...process.env, ...ENV } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Report;
}

describe.skipIf(!existsSync(SWIFTSHADER))('the WebGPU prefill fault (Dawn, SwiftShader)', () => {
  it('is onnxruntime’s subgroup kernel: wrong from 32 new positions with 4-wide subgroups', async () => {
    const kept = await report('--subgroups', 'keep', '--lengths', '31,32,64');
    expect(kept.subgroupWidths[1]).toBeLessThan(16);
    expect(kept.errors[31]).toBeLessThan(TOLERANCE);
    expect(kept.errors[32]).toBeGreaterThan(TOLERANCE);
    expect(kept.errors[64]).toBeGreaterThan(TOLERANCE);
  });

  it('is gone at every length with the subgroups hidden, at a real head size and at the tiny packages’', async () => {
    const real = await report('--subgroups', 'hide', '--lengths', '1,31,32,64,128');
    const tiny = await report('--subgroups', 'hide', '--lengths', '32,256,1024', '--shape', '4,2,8');
    for (const error of [...Object.values(real.errors), ...Object.values(tiny.errors)])
      expect(error).toBeLessThan(TOLERANCE);
  });
});
