/**
 * The WebGPU prefill gate (prefill-gate.ts) on Chromium's SwiftShader adapter, in a child process so that
 * the WebGPU runtime finds the adapter: every prefill length agrees with the reference backend as the engine
 * runs it, and the load-time attention check chunks exactly when one run would not agree. On onnxruntime-node's
 * WebGPU provider, which keeps the adapter's 4-wide subgroups, that means chunks; on onnxruntime-web over
 * Dawn, given the adapter without them as the app and the CLI give it (narrow-subgroups.ts), one run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { GateRow, WebGpuRuntime } from './prefill-gate';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LENGTHS = '1,16,31,32,64,511';

async function runGate(
  webgpu: WebGpuRuntime,
  reference: 'cpu' | 'wasm',
  ...files: string[]
): Promise<GateRow[]> {
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
      '--webgpu',
      webgpu,
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

const FLOAT_FILES = [
  'models/tiny-llava/onnx/decoder_model_merged.onnx',
  'models/stories260k/onnx/decoder_model_merged.onnx',
];
const Q4_FILES = ['models/tiny-llava/onnx/decoder_model_merged_q4.onnx'];

describe.skipIf(!existsSync(SWIFTSHADER))('WebGPU prefill against the CPU backends (SwiftShader)', () => {
  it('float32 decoders give the CPU provider logits at every length', async () => {
    expectAgreement(await runGate('node', 'cpu', ...FLOAT_FILES), FLOAT_FILES.length);
  }, 300_000);

  it('4-bit decoders give the wasm logits at every length', async () => {
    expectAgreement(await runGate('node', 'wasm', ...Q4_FILES), Q4_FILES.length);
  }, 300_000);

  it('over Dawn, without the adapter’s narrow subgroups, both agree in one run at every length', async () => {
    const rows = [
      ...(await runGate('dawn', 'cpu', ...FLOAT_FILES)),
      ...(await runGate('dawn', 'wasm', ...Q4_FILES)),
    ];
    expectAgreement(rows, FLOAT_FILES.length + Q4_FILES.length);
    expect(rows.filter((row) => row.maxRunPositions !== null)).toEqual([]);
  }, 300_000);
});
