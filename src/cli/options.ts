/**
 * The command lines of every glimpse command: node:util parseArgs, one error for bad usage, and the
 * checks of option values, so that each command refuses a value with the same words.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { messageOf } from '../engine/errors';

/** A command line the command cannot run: the command prints it with its usage and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** parseArgs, its refusals (an unknown option, a missing value) as UsageErrors. */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    // The same config with its args rewritten: its options, and so the values' types, are unchanged.
    const args = config.args && withNegativeValues(config.args, config.options);
    return parseArgs<T>({ ...config, args } as T);
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
}

/**
 * `--temperature -1` as `--temperature=-1`: parseArgs refuses any value that starts with a dash as
 * ambiguous, but one that starts with a number cannot be an option, so its bounds can be checked.
 */
function withNegativeValues(args: readonly string[], options: ParseArgsConfig['options']): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg === '--') return [...joined, ...args.slice(i)];
    const takesValue = arg.startsWith('--') && options?.[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\.?\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

export function oneOf<T extends string>(values: readonly T[], value: string, option: string): T {
  const found = values.find((candidate) => candidate === value);
  if (found === undefined)
    throw new UsageError(`--${option} must be one of ${values.join(', ')}, not '${value}'.`);
  return found;
}

/** A comma-separated list, each item one of `values`; all of them when the option is not given. */
export function listOf<T extends string>(
  values: readonly T[],
  value: string | undefined,
  option: string,
): T[] {
  if (value === undefined) return [...values];
  return value.split(',').map((item) => oneOf(values, item.trim(), option));
}

/** The values a number option takes: whole numbers only, at least `min`, above `above`, at most `max`. */
export interface Range {
  readonly integer?: boolean;
  readonly min?: number;
  readonly above?: number;
  readonly max?: number;
}

/** A count of 1 or more. */
export const COUNT: Range = { integer: true, min: 1 };

export function numberOption(
  value: string | undefined,
  option: string,
  range: Range = {},
): number | undefined {
  if (value === undefined) return undefined;
  const { integer = false, min, above, max } = range;
  const parsed = Number(value);
  const inRange =
    (min === undefined || parsed >= min) &&
    (above === undefined || parsed > above) &&
    (max === undefined || parsed <= max);
  if (value.trim() === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || !inRange) {
    const bounds = [
      min === undefined ? '' : `${min} or more`,
      above === undefined ? '' : `above ${above}`,
      max === undefined ? '' : `at most ${max}`,
    ].filter(Boolean);
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(
      `--${option} takes ${kind}${bounds.length > 0 ? `, ${bounds.join(' and ')}` : ''}, not '${value}'.`,
    );
  }
  return parsed;
}
