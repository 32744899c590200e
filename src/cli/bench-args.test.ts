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
