/** A one-line description of the machine a benchmark ran on (Node only). */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

function gpuName(): string | undefined {
  try {
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return names === '' ? undefined : names.split('\n').join(', ');
  } catch {
    return undefined;
  }
}

export function describeMachine(): string {
  const cores = cpus();
  const gpu = gpuName();
  const cpu = `${cores[0]?.model.trim() ?? 'unknown CPU'} × ${cores.length} cores`;
  return [cpu, `${Math.round(totalmem() / 2 ** 30)} GiB`, gpu ? `GPU ${gpu}` : 'no GPU'].join(', ');
}

/**
 * Read bandwidth of one core, bytes per second: memcmp over two buffers far larger than any cache, the
 * best of a few tries (other processes only ever slow it down).
 */
export function measureReadBandwidth(bytes = 256 * 2 ** 20, tries = 3): number {
  const a = Buffer.alloc(bytes);
  const b = Buffer.alloc(bytes);
  // Touch every page first, so that the timed passes read memory rather than fault it in.
  a.fill(1);
  b.fill(1);
  let best = 0;
  for (let i = 0; i < tries; i++) {
    const start = performance.now();
    Buffer.compare(a, b);
    const seconds = (performance.now() - start) / 1000;
    best = Math.max(best, (2 * bytes) / seconds);
  }
  return best;
}
