/**
 * The WebGPU prefill gate (prefill-gate.ts) on Chromium's SwiftShader adapter, in a child process so that
 * onnxruntime-node finds the adapter: every prefill length agrees with the reference backend as the engine
 * runs it, and the load-time attention check chunks exactly when one run would not agree.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { GateRow } from './prefill-gate';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LENGTHS = '1,16,31,32,64,511';

async function runGate(reference: 'cpu' | 'wasm', ...files: string[]): Promise<GateRow[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      'tools/testing/prefill-gate.ts',
      ...files,
      '--lengths',
      LENGTHS,
      '--reference',
      reference,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER },
      maxBuffer: 16 << 20,
    },
  );
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as GateRow);
}

function expectAgreement(rows: readonly GateRow[], files: number): void {
  expect(rows).toHaveLength(files * LENGTHS.split(',').length);
  for (const row of rows) {
    expect({ ...row, engineDiff: row.engineDiff < 1e-3 }).toEqual({ ...row, engineDiff: true });
    expect(row.sameArgmax).toBe(true);
  }
  // Chunks only where one run is wrong, and wherever it is.
  const oneRunWrong = rows.some((row) => row.oneRunDiff >= 1e-3);
  expect(rows.every((row) => (row.maxRunPositions !== null) === oneRunWrong)).toBe(true);
}

describe.skipIf(!existsSync(SWIFTSHADER))('WebGPU prefill against the CPU backends (SwiftShader)', () => {
  it('float32 decoders give the CPU provider logits at every length', async () => {
    const files = [
      'models/tiny-llava/onnx/decoder_model_merged.onnx',
      'models/stories260k/onnx/decoder_model_merged.onnx',
    ];
    expectAgreement(await runGate('cpu', ...files), files.length);
  }, 300_000);

  it('4-bit decoders give the wasm logits at every length', async () => {
    const files = ['models/tiny-llava/onnx/decoder_model_merged_q4.onnx'];
    expectAgreement(await runGate('wasm', ...files), files.length);
  }, 300_000);
});
