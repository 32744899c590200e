import { describe, expect, it } from 'vitest';
import { glimpse } from '../testing/glimpse-bin';
import { listOf, numberOption, parseOptions, UsageError } from './options';

describe('numberOption', () => {
  it('takes numbers within the range, and names the range otherwise', () => {
    expect(numberOption(undefined, 'n')).toBeUndefined();
    expect(numberOption('0.5', 'n', { above: 0, max: 1 })).toBe(0.5);
    expect(numberOption('0', 'n', { integer: true, min: 0 })).toBe(0);
    expect(() => numberOption('', 'n', { integer: true, min: 0 })).toThrow(
      "--n takes an integer, 0 or more, not ''.",
    );
    expect(() => numberOption('2.5', 'n', { integer: true })).toThrow("--n takes an integer, not '2.5'.");
    expect(() => numberOption('1e400', 'n')).toThrow("--n takes a number, not '1e400'.");
  });
});

describe('listOf and parseOptions', () => {
  it('reads a comma-separated list of known items, all of them when not given', () => {
    expect(listOf(['a', 'b', 'c'], 'c, a', 'x')).toEqual(['c', 'a']);
    expect(listOf(['a', 'b'], undefined, 'x')).toEqual(['a', 'b']);
    expect(() => listOf(['a', 'b'], 'a,d', 'x')).toThrow("--x must be one of a, b, not 'd'.");
  });

  it('takes a value that starts with a minus sign and a digit as the value, to check its bounds', () => {
    const options = { seed: { type: 'string' }, json: { type: 'boolean' } } as const;
    const parsed = parseOptions({ args: ['--seed', '-3', '--json'], options, allowPositionals: true });
    expect(parsed.values).toEqual({ seed: '-3', json: true });
    expect(parseOptions({ args: ['--seed', '-.5'], options }).values.seed).toBe('-.5');
    // After `--`, everything is a positional, a minus sign or not.
    expect(
      parseOptions({ args: ['--', '--seed', '-3'], options, allowPositionals: true }).positionals,
    ).toEqual(['--seed', '-3']);
    // A dash and a word is still refused as a value: it may be an option whose value was forgotten.
    expect(() => parseOptions({ args: ['--seed', '-x'], options })).toThrow(/ambiguous/);
  });

  it("turns parseArgs's refusals into usage errors", () => {
    const config = { args: ['--nope'], options: { yes: { type: 'boolean' } } } as const;
    expect(() => parseOptions(config)).toThrow(UsageError);
    expect(() => parseOptions(config)).toThrow(/Unknown option '--nope'/);
  });
});

describe('every glimpse command refuses a bad value with its usage and exit code 2, before it runs', () => {
  it.each([
    [
      ['generate', '--model', 'm', '--temperature', '-1', 'P'],
      "--temperature takes a number, 0 or more, not '-1'.",
    ],
    [
      ['generate', '--model', 'm', '--max-new-tokens', '0', 'P'],
      "--max-new-tokens takes an integer, 1 or more, not '0'.",
    ],
    [['bench', '--runs', '1.5'], "--runs takes an integer, 1 or more, not '1.5'."],
    [['bench', '--backends', 'wasm,gpu'], "--backends must be one of wasm, cpu, webgpu, not 'gpu'."],
    [
      ['eval', '--model', 'm', '--data', 'd', '--dtype', 'q4', '--draft-tokens', ''],
      "--draft-tokens takes an integer, 0 or more, not ''.",
    ],
    [['eval', '--model', 'm', '--data', 'd', '--dtype', 'q4,q3'], '--dtype must be one of fp32, fp16, q4'],
    [
      ['eval', '--model', 'm', '--data', 'd', '--dtype', 'q4', '--backend', 'gpu'],
      "--backend must be one of wasm, cpu, webgpu, not 'gpu'.",
    ],
    [['eval', '--model', 'm', '--data', 'd', '--frobnicate'], "Unknown option '--frobnicate'"],
    [
      ['convert', '--from', 'a', '--to', 'b', '--dtype', 'q3'],
      "--dtype must be one of fp32, fp16, q4, q4f16, quantized, int8, not 'q3'.",
    ],
  ])('%j', async (argv, message) => {
    const result = await glimpse(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage:');
  });
});
