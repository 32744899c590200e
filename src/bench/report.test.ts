import { describe, expect, it } from 'vitest';
import { decodeCeiling } from './ceiling';
import { type BenchReport, compare, type RunMeasure, type SystemResult, summarize } from './report';
import { reportTable, systemRows } from './table';

function run(ttft: number, decode: number): RunMeasure {
  return {
    promptTokens: 100,
    generatedTokens: 10,
    visionMs: 20,
    prefillMs: 50,
    prefillTokensPerSecond: 2000,
    timeToFirstTokenMs: ttft,
    decodeTokensPerSecond: decode,
  };
}

function result(
  system: SystemResult['system'],
  backend: SystemResult['backend'],
  runs: RunMeasure[],
): SystemResult {
  return {
    system,
    backend,
    runtime: 'onnxruntime-web 1.30.0',
    environment: 'test',
    files: {},
    loadMs: system === 'glimpse' ? 300 : 200,
    warmupMs: undefined,
    runs,
    turnTimeToFirstTokenMs: [10, 10, 10, 10, system === 'glimpse' ? 10 : 40],
    memory: {},
  };
}

function table(results: SystemResult[], rest: Partial<BenchReport> = {}): string {
  return reportTable({
    name: 't',
    date: '',
    machine: '',
    model: 'm',
    settings: {},
    results,
    failures: [],
    comparisons: [],
    ...rest,
  });
}

const mine = result('glimpse', 'wasm', [run(80, 30), run(100, 40), run(120, 50)]);
const theirs = result('transformers.js', 'wasm', [run(200, 20), run(200, 20)]);

describe('summaries and comparisons', () => {
  it('summarises each per-run figure by its median', () => {
    expect(summarize(mine)).toMatchObject({ timeToFirstTokenMs: 100, decodeTokensPerSecond: 40 });
  });

  it('compares only backends that both systems ran, raw and oriented', () => {
    const [comparison, ...rest] = compare([mine, theirs, result('glimpse', 'cpu', [run(1, 1)])]);
    expect(rest).toEqual([]);
    expect(comparison?.backend).toBe('wasm');
    expect(comparison?.ratios.decodeTokensPerSecond).toBe(2);
    expect(comparison?.ratios.timeToFirstTokenMs).toBe(0.5);
    expect(comparison?.advantage.timeToFirstTokenMs).toBe(2);
    expect(comparison?.advantage.loadMs).toBeCloseTo(2 / 3);
    expect(comparison?.advantage.turn5TimeToFirstTokenMs).toBe(4);
  });

  it('prints one table row per system and one ratio row per backend', () => {
    const printed = table([mine, theirs], {
      failures: [{ system: 'glimpse', backend: 'webgpu', error: 'no adapter' }],
      comparisons: compare([mine, theirs]),
    });
    expect(printed).toMatch(/^glimpse\s+wasm/m);
    expect(printed).toMatch(/^transformers\.js\s+wasm/m);
    expect(printed).toMatch(/^wasm\s+1\.50\s+1\.00\s+1\.00\s+0\.50\s+2\.00\s+0\.25$/m);
    expect(printed).toContain('FAILED glimpse on webgpu: no adapter');
  });

  it('names every cell of a system row in its header', () => {
    const [header, ...rows] = systemRows([
      mine,
      { ...theirs, readAhead: { readMs: 9, timeToFirstTokenMs: 1 } },
    ]);
    for (const cells of rows) expect(cells.length).toBe(header?.length);
    expect(rows[1]?.[header?.indexOf('TTFT read ahead ms') ?? -1]).toBe('1 (read 9)');
  });

  it("states each backend's ceiling against the memory it reads: one core for wasm, the GPU for webgpu", () => {
    const cpu = decodeCeiling({ readBytesPerSecond: 12e9, memory: 'one core' }, 300e6, 0, 1);
    const gpu = decodeCeiling({ readBytesPerSecond: 4e12, memory: 'NVIDIA H200' }, 300e6, 0, 1);
    const printed = table([
      { ...mine, ceiling: cpu },
      { ...theirs, ceiling: cpu },
      { ...mine, backend: 'webgpu', ceiling: gpu },
    ]);
    expect(printed).toContain('Ceiling: read bandwidth 12.0 GB/s (one core, measured) over 300 MB');
    expect(printed).toContain('Ceiling: read bandwidth 4000.0 GB/s (NVIDIA H200, measured) over 300 MB');
    expect(printed.match(/^Ceiling:/gm)).toHaveLength(2);
    // 40 tok/s over a ceiling of 13,333 on the GPU.
    expect(printed).toMatch(/^glimpse\s+webgpu.*\s13333\.3\s+0\.3%/m);
  });
});
