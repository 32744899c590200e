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
      "--cpu-attention must be one of group-query, two-part, not 'flash'.",
    );
  });
});

describe('glimpse bench --cpu-threads', () => {
  it('gives both systems every CPU unless told a count', () => {
    expect(parseBenchArgs([]).cpuThreads).toBe(availableParallelism());
    expect(parseBenchArgs(['--cpu-threads', '1']).cpuThreads).toBe(1);
    expect(() => parseBenchArgs(['--cpu-threads', '0'])).toThrow(
      "--cpu-threads takes an integer, 1 or more, not '0'.",
    );
  });
});

describe('glimpse bench --no-packed-qkv', () => {
  it('packs q, k and v on WebGPU unless asked for the baseline', () => {
    expect(parseBenchArgs([]).packedQkv).toBe(true);
    expect(parseBenchArgs(['--no-packed-qkv']).packedQkv).toBe(false);
  });
});

describe('glimpse bench --no-graph-capture', () => {
  it('runs Glimpse on webgpu as glimpse ask does unless asked for the uncaptured baseline', () => {
    expect(parseBenchArgs([]).graphCapture).toBe(true);
    expect(parseBenchArgs(['--no-graph-capture']).graphCapture).toBe(false);
  });
});

describe('glimpse bench on a package it cannot time', () => {
  it('says a text model has no photo to time, as a usage error, and runs nothing', async () => {
    const { runBench } = await import('./bench');
    const stderr: string[] = [];
    const io = { stdout: () => {}, stderr: (text: string) => stderr.push(text) };
    expect(await runBench(['--model', 'models/stories260k'], io)).toBe(2);
    expect(stderr.join('')).toContain(
      'has no preprocessor_config.json: glimpse bench times a photo question',
    );
    expect(stderr.join('')).not.toContain(' on cpu …');
  });
});
