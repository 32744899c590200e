import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

interface CachedDigest {
  readonly mtimeMs: number;
  readonly size: number;
  readonly sha256: Promise<string>;
}

/**
 * sha256 of files, remembered per path until the file's mtime or size changes, so a dev server does not
 * re-hash a few hundred megabytes of model on every request. Concurrent callers share one hashing pass.
 */
export class FileDigests {
  private readonly cache = new Map<string, CachedDigest>();

  async sha256(path: string): Promise<string> {
    const info = await stat(path);
    const cached = this.cache.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.sha256;
    const sha256 = hashFile(path);
    this.cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, sha256 });
    sha256.catch(() => this.cache.delete(path));
    return sha256;
  }
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
