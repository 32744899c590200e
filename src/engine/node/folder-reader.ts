/** A PackageReader over a local folder (Node only: kept apart so the browser bundle never imports node:fs). */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { GlimpseError, throwIfAborted } from '../errors';
import type { PackageReader, ReadOptions } from '../types';

function isMissing(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'ENOENT' || err.code === 'ENOTDIR')
  );
}

export function folderReader(folder: string): PackageReader {
  const root = resolve(folder);
  return {
    location: folder,
    async read(path: string, options?: ReadOptions): Promise<Uint8Array | null> {
      throwIfAborted(options?.signal);
      const full = join(root, path);
      if (!full.startsWith(root + sep))
        throw new GlimpseError('package-invalid', `${path} lies outside the package.`);
      try {
        const { size } = await stat(full);
        options?.onProgress?.(0, size);
        const bytes = await readFile(full, options?.signal ? { signal: options.signal } : undefined);
        options?.onProgress?.(bytes.byteLength, size);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        if (isMissing(err)) return null;
        throw GlimpseError.from(err, 'download-failed');
      }
    },
  };
}

/** Whether the folder has a file, without reading it. */
export function folderHasFile(folder: string): (path: string) => Promise<boolean> {
  const root = resolve(folder);
  return (path) =>
    stat(join(root, path)).then(
      (found) => found.isFile(),
      () => false,
    );
}
