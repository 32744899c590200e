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
