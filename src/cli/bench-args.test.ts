import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './bench-args';

describe('glimpse bench --cpu-attention', () => {
  it("leaves the engine's attention unless asked, and takes group-query as the baseline", () => {
    expect(parseBenchArgs([]).cpuAttention).toBeUndefined();
    expect(parseBenchArgs(['--cpu-attention', 'group-query']).cpuAttention).toBe('group-query');
    expect(parseBenchArgs(['--cpu-attention', 'two-part']).cpuAttention).toBe('two-part');
  });

  it('refuses an attention it does not know', () => {
    expect(() => parseBenchArgs(['--cpu-attention', 'flash'])).toThrow(
      '--cpu-attention takes group-query, two-part',
    );
  });
});

describe('glimpse bench --cpu-threads', () => {
  it('gives both systems every CPU unless told a count', () => {
    expect(parseBenchArgs([]).cpuThreads).toBe(availableParallelism());
    expect(parseBenchArgs(['--cpu-threads', '1']).cpuThreads).toBe(1);
    expect(() => parseBenchArgs(['--cpu-threads', '0'])).toThrow(
      "--cpu-threads takes a positive integer, not '0'.",
    );
  });
});
