/** The real `glimpse` bin, run with plain node as a user would, for the CLI's tests. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/glimpse.mjs', import.meta.url));

/** The documented stories260K greedy sample: `${STORIES_SAMPLE}.txt` and `.ids`. */
export const STORIES_SAMPLE = fileURLToPath(
  new URL('../../../shared/data/stories260k/greedy-from-bos', import.meta.url),
);

export interface GlimpseRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** execFile's error for a non-zero exit carries the exit code and both streams. */
function isExit(err: unknown): err is GlimpseRun {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    typeof err.code === 'number' &&
    'stdout' in err &&
    typeof err.stdout === 'string' &&
    'stderr' in err &&
    typeof err.stderr === 'string'
  );
}

/** Runs the bin from the repository root with extra environment variables. */
export async function glimpseWith(env: Record<string, string>, ...args: string[]): Promise<GlimpseRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (isExit(err)) return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

export function glimpse(...args: string[]): Promise<GlimpseRun> {
  return glimpseWith({}, ...args);
}
