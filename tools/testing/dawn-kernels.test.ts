/**
 * The benchmark's kernel counts (src/cli/dawn-kernels.ts) on onnxruntime-web's WebGPU provider in Node
 * over Dawn, on Chromium's SwiftShader adapter:
 * - a chain of Sigmoid nodes, one elementwise kernel each with optimisation off, counts as many kernels
 *   as it has nodes, at every run: the count is the graph's, not onnxruntime's word for it;
 * - stories260K's static step graph: each replayed decoder run counts half of what the run that
 *   captured the graph dispatched (onnxruntime runs the graph twice in it, plainly and from the
 *   capture), each step the same, and a token costs a replay and embed_tokens' one kernel (its graph is
 *   one Gather): a counter that missed replays would read 0 for them;
 * - the engine's merged decoder counts the same kernels per token over 5 steps as over 10, which
 *   catches a window that takes in a step more or fewer than it divides by;
 * - with this adapter's 'timestamp-query', GPU time comes with every count;
 * - a greedy step reads back one buffer, the token, on the engine's merged decoder (its argmax computed on
 *   the GPU, logits-outputs-graph.ts) and on its captured path (the embedding left on the GPU) as on the
 *   tool's own replay loop: each read 272 to 2304 bytes in two waits before;
 * - a step on the captured path creates no GPU buffer: its token ids, embeddings and read back go through
 *   buffers it keeps (before, onnxruntime's upload of the ids and the read's staging buffer made two a token).
 * The times themselves are not checked: on SwiftShader they mean nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ENV = { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER };

interface Window {
  readonly dispatches: number;
  readonly passes: number;
  readonly gpuMs?: number;
  readonly timestampsMissing?: string;
}

interface StepCost {
  readonly kernelsPerToken: number;
  readonly gpuMsPerToken?: number;
  readonly wallMsPerToken: number;
  readonly readsPerToken: number;
  readonly readBytesPerToken: number;
  readonly buffersPerToken: number;
  readonly timestampsMissing?: string;
}

/** A harness run in its own process: Dawn reads the loader's environment when it starts. */
async function lastJsonLine(script: string, ...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...ENV },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
}

describe.skipIf(!existsSync(SWIFTSHADER))(
  'kernels per decode step, counted below onnxruntime (Dawn, SwiftShader)',
  () => {
    it('counts one kernel per node of a chain of elementwise nodes, with GPU time', async () => {
      const out = (await lastJsonLine('tools/testing/kernel-chain.ts', '--length', '9', '--runs', '3')) as {
        windows: readonly Window[];
      };
      expect(out.windows.map((w) => w.dispatches)).toEqual([9, 9, 9]);
      for (const window of out.windows) {
        expect(window.timestampsMissing).toBeUndefined();
        expect(window.gpuMs).toBeGreaterThanOrEqual(0);
        expect(window.passes).toBeGreaterThan(0);
      }
    }, 120_000);

    it("counts stories260K's replayed steps as the run that captured them, and the merged decoder's per token", async () => {
      const out = (await lastJsonLine(
        'tools/testing/captured-decode.ts',
        ...['--package', 'models/stories260k', '--max-new-tokens', '8', '--max-length', '128'],
        ...['--compare-uncaptured', '4', '--merged', '6'],
      )) as StepCost & {
        kernelsPerStep: readonly number[];
        embedKernelsPerStep: readonly number[];
        capturingStepKernels: number;
        uncapturedKernelsPerStep: readonly number[];
        uncapturedAgrees: boolean;
        merged?: StepCost;
      };
      expect(out.uncapturedAgrees).toBe(true);
      expect(out.capturingStepKernels).toBeGreaterThan(0);
      expect(out.kernelsPerStep).toEqual([out.capturingStepKernels / 2]);
      expect(out.embedKernelsPerStep).toEqual([1]);
      expect(out.kernelsPerToken).toBe(out.capturingStepKernels / 2 + 1);
      expect(out.uncapturedKernelsPerStep).toHaveLength(1);
      expect(out.gpuMsPerToken).toBeGreaterThanOrEqual(0);
      expect(out.merged?.kernelsPerToken).toBeGreaterThan(0);
      expect(out.merged?.gpuMsPerToken).toBeGreaterThanOrEqual(0);
      const longer = (await lastJsonLine(
        'tools/testing/captured-decode.ts',
        ...['--package', 'models/stories260k', '--max-new-tokens', '2', '--max-length', '64'],
        ...['--merged', '11'],
      )) as { merged?: StepCost };
      expect(longer.merged?.kernelsPerToken).toBe(out.merged?.kernelsPerToken);
    }, 300_000);

    it('reads one token back from the GPU per greedy step, on the merged decoder and the captured path alike, which makes no buffer a step, from the first completion after the load', async () => {
      const out = (await lastJsonLine(
        'tools/testing/captured-decode.ts',
        ...['--package', 'models/tiny-llava-fused', '--prompt-length', '8', '--max-new-tokens', '4'],
        ...['--max-length', '128', '--merged', '6', '--engine', '6'],
      )) as StepCost & { merged?: StepCost; engine?: StepCost };
      // A logits row is 512 floats here, an embedding 64: a step that read either would count its bytes.
      // onnxruntime reads whole 16-byte blocks, so the token's 4 or 8 bytes count 16.
      for (const cost of [out, out.merged, out.engine]) {
        expect(cost?.readsPerToken).toBe(1);
        expect(cost?.readBytesPerToken).toBe(16);
      }
      expect(out.buffersPerToken).toBe(0);
      expect(out.engine?.buffersPerToken).toBe(0);
      // The engine's first completion after its load: the load's warm-up has captured the graph already.
      expect(out.engine?.kernelsPerToken).toBe(out.kernelsPerToken);
    }, 300_000);
  },
);
