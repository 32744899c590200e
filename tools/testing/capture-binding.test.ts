/**
 * Why the captured decode path loads the static graph's weights twice (capture-binding.ts): on
 * onnxruntime-web's WebGPU provider, a session with graph capture runs every later run on its first run's
 * tensors, the `gpu_graph_id: -1` option notwithstanding. This fails once an onnxruntime release binds a
 * run's own tensors, which is when the uncaptured session can go and the weights be held once.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe.skipIf(!existsSync(SWIFTSHADER))('a graph-capture session’s binding (Dawn, SwiftShader)', () => {
  it('is its first run’s: later runs, replayed or not, write the first run’s outputs', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'tools/testing/capture-binding.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      laterRunsWrite: Record<string, string>;
    };
    expect(report.laterRunsWrite).toEqual({ replayed: 'first', 'gpu_graph_id -1': 'first' });
  });
});
