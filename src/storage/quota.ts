import { GlimpseError } from '../engine/errors';
import type { FileStore } from './file-store';

/** Throws 'quota-exceeded' before a download of `needed` bytes that the storage cannot hold. */
export async function ensureRoom(store: FileStore, needed: number, file: string): Promise<void> {
  const estimate = await store.estimate();
  if (!estimate || needed <= 0) return;
  const available = Math.max(0, estimate.quota - estimate.usage);
  if (needed > available) {
    throw new GlimpseError(
      'quota-exceeded',
      `${file} needs ${formatBytes(needed)} of storage but only ${formatBytes(available)} is left. ` +
        'Delete a cached model in the storage panel, or free disk space, and try again.',
      { details: { file, needed, available } },
    );
  }
}

/** Whether a failed write ran out of storage (the browser's QuotaExceededError, Node's ENOSPC). */
export function isQuotaError(err: unknown): boolean {
  if (err instanceof DOMException) return err.name === 'QuotaExceededError';
  return err instanceof Error && 'code' in err && err.code === 'ENOSPC';
}

export function quotaErrorDuringWrite(err: unknown, file: string): GlimpseError {
  return new GlimpseError(
    'quota-exceeded',
    `Storage filled up while saving ${file}. Delete a cached model in the storage panel and try again.`,
    { cause: err, details: { file } },
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
