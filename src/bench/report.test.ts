import { describe, expect, it } from 'vitest';
import { compare, type RunMeasure, type SystemResult, summarize } from './report';
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
    const table = reportTable({
      name: 't',
      date: '',
      machine: '',
      model: 'm',
      settings: {},
      results: [mine, theirs],
      failures: [{ system: 'glimpse', backend: 'webgpu', error: 'no adapter' }],
      comparisons: compare([mine, theirs]),
    });
    expect(table).toMatch(/^glimpse\s+wasm/m);
    expect(table).toMatch(/^transformers\.js\s+wasm/m);
    expect(table).toMatch(/^wasm\s+1\.50\s+1\.00\s+1\.00\s+0\.50\s+2\.00\s+0\.25$/m);
    expect(table).toContain('FAILED glimpse on webgpu: no adapter');
  });

  it('names every cell of a system row in its header', () => {
    const [header, ...rows] = systemRows([
      mine,
      { ...theirs, readAhead: { readMs: 9, timeToFirstTokenMs: 1 } },
    ]);
    for (const cells of rows) expect(cells.length).toBe(header?.length);
    expect(rows[1]?.[header?.indexOf('TTFT read ahead ms') ?? -1]).toBe('1 (read 9)');
  });
});
