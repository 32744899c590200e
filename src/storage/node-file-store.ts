import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileStat, FileStore, FileWriter, StorageEstimateBytes } from './file-store';

export interface NodeFileStoreOptions {
  /** Caps the cache, as a browser's quota does; otherwise the free space of the disk is the limit. */
  readonly quotaBytes?: number;
}

/** A FileStore in a folder on disk: the model cache of the CLI and of Node tests. */
export function createNodeFileStore(root: string, options: NodeFileStoreOptions = {}): FileStore {
  const full = (path: string) => join(root, ...path.split('/').filter((part) => part !== ''));
  const store: FileStore = {
    async stat(path): Promise<FileStat | undefined> {
      const info = await stat(full(path)).catch(ignoreMissing);
      return info?.isFile() ? { size: info.size, lastModified: info.mtimeMs } : undefined;
    },
    async read(path) {
      const bytes = await readFile(full(path)).catch(ignoreMissing);
      return bytes && new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async write(path, bytes) {
      await mkdir(dirname(full(path)), { recursive: true });
      // Written aside and renamed, so a crash leaves the old record or the new one, never half of one; the
      // aside name is unique, as two reads of one absent file may record it at the same time.
      const aside = `${full(path)}.${randomUUID()}.tmp`;
      await writeFile(aside, bytes);
      await rename(aside, full(path));
    },
    async openWriter(path, offset): Promise<FileWriter> {
      await mkdir(dirname(full(path)), { recursive: true });
      const file = await open(full(path), 'a+').then(async (handle) => {
        await handle.close();
        return open(full(path), 'r+');
      });
      await file.truncate(offset);
      let position = offset;
      return {
        async write(chunk) {
          const { bytesWritten } = await file.write(chunk, 0, chunk.byteLength, position);
          position += bytesWritten;
        },
        async close() {
          await file.sync();
          await file.close();
        },
      };
    },
    async remove(path) {
      await rm(full(path), { recursive: true, force: true });
    },
    async listFolders(dir) {
      const entries = await readdir(full(dir), { withFileTypes: true }).catch(ignoreMissing);
      return (entries ?? [])
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    },
    async listFiles(dir) {
      const entries = await readdir(full(dir), { withFileTypes: true }).catch(ignoreMissing);
      return (entries ?? [])
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    },
    async totalSize(dir) {
      const entries = await readdir(full(dir), { recursive: true, withFileTypes: true }).catch(ignoreMissing);
      let total = 0;
      for (const entry of entries ?? []) {
        // A record written meanwhile renames its aside file away between the listing and the stat.
        if (entry.isFile())
          total += (await stat(join(entry.parentPath, entry.name)).catch(ignoreMissing))?.size ?? 0;
      }
      return total;
    },
    async estimate(): Promise<StorageEstimateBytes> {
      await mkdir(root, { recursive: true });
      const usage = await store.totalSize('');
      if (options.quotaBytes !== undefined) return { usage, quota: options.quotaBytes };
      const disk = await statfs(root);
      return { usage, quota: usage + disk.bavail * disk.bsize };
    },
  };
  return store;
}

function ignoreMissing(err: unknown): undefined {
  if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
  throw err;
}
