/**
 * The webgpu ceiling's bandwidth (gpu-bandwidth.ts) on Chromium's SwiftShader adapter, where the "GPU" is
 * this machine's CPU: its read rate must be positive and no more than every core reading at one core's
 * measured rate (machine.ts), an independent bound that a pass which never ran (a failed allocation or
 * pipeline, timed as nothing) would break by orders of magnitude.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { measureReadBandwidth } from '../machine';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

const SCRIPT = `
import { measureGpuReadBandwidth } from './src/bench/node/gpu-bandwidth.ts';
console.log(JSON.stringify(await measureGpuReadBandwidth(0.2, 2)));
process.exit(0);`;

describe.skipIf(!existsSync(SWIFTSHADER))('the GPU read bandwidth (Dawn, SwiftShader)', () => {
  it("is measured, and within what this machine's cores can read", async () => {
    // Its own process: Dawn reads the loader's environment when it starts.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      {
        cwd: ROOT,
        env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
      },
    );
    const measured: unknown = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
    expect(measured).toMatchObject({ adapter: expect.stringMatching(/SwiftShader/) });
    const { readBytesPerSecond } = measured as { readBytesPerSecond: number };
    expect(readBytesPerSecond).toBeGreaterThan(0);
    expect(readBytesPerSecond).toBeLessThan(availableParallelism() * measureReadBandwidth());
  }, 120_000);
});
