import type { FileStat, FileStore, FileWriter, StorageEstimateBytes } from './file-store';

/** A FileStore in the Origin Private File System, under one folder of its root. */
export async function openOpfsStore(folder: string): Promise<FileStore> {
  const root = await navigator.storage.getDirectory();
  return new OpfsStore(await root.getDirectoryHandle(folder, { create: true }));
}

/** How often a worker's sync-access writes are flushed, so a crash loses at most this much of a download. */
const flushEveryBytes = 4 * 1024 * 1024;

class OpfsStore implements FileStore {
  readonly #root: FileSystemDirectoryHandle;

  constructor(root: FileSystemDirectoryHandle) {
    this.#root = root;
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const file = await this.#file(path);
    return file && { size: file.size, lastModified: file.lastModified };
  }

  async read(path: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const file = await this.#file(path);
    return file && new Uint8Array(await file.arrayBuffer());
  }

  async write(path: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const handle = await this.#fileHandle(path, true);
    if (!handle) throw new Error(`Cannot create ${path} in the origin private file system.`);
    const writable = await handle.createWritable();
    await writable.write(bytes);
    await writable.close();
  }

  async openWriter(path: string, offset: number): Promise<FileWriter> {
    const handle = await this.#fileHandle(path, true);
    if (!handle) throw new Error(`Cannot create ${path} in the origin private file system.`);
    // Sync access handles exist only in dedicated workers; they write in place, with no swap file.
    return typeof handle.createSyncAccessHandle === 'function'
      ? syncWriter(await handle.createSyncAccessHandle(), offset)
      : writableWriter(await handle.createWritable({ keepExistingData: true }), offset);
  }

  async remove(path: string): Promise<void> {
    const parts = splitPath(path);
    const name = parts.pop();
    const parent = await this.#dir(parts, false);
    if (!parent || name === undefined) return;
    await parent.removeEntry(name, { recursive: true }).catch(ignoreNotFound);
  }

  listFolders(dir: string): Promise<string[]> {
    return this.#list(dir, 'directory');
  }

  listFiles(dir: string): Promise<string[]> {
    return this.#list(dir, 'file');
  }

  async totalSize(dir: string): Promise<number> {
    const handle = await this.#dir(splitPath(dir), false);
    return handle ? sizeOf(handle) : 0;
  }

  async estimate(): Promise<StorageEstimateBytes | undefined> {
    const { usage, quota } = await navigator.storage.estimate();
    return usage === undefined || quota === undefined ? undefined : { usage, quota };
  }

  async #list(dir: string, kind: FileSystemHandleKind): Promise<string[]> {
    const handle = await this.#dir(splitPath(dir), false);
    const names: string[] = [];
    if (!handle) return names;
    for await (const entry of handle.values()) if (entry.kind === kind) names.push(entry.name);
    return names.sort();
  }

  async #file(path: string): Promise<File | undefined> {
    return (await this.#fileHandle(path, false))?.getFile();
  }

  async #fileHandle(path: string, create: boolean): Promise<FileSystemFileHandle | undefined> {
    const parts = splitPath(path);
    const name = parts.pop();
    const dir = await this.#dir(parts, create);
    if (!dir || name === undefined) return undefined;
    return dir.getFileHandle(name, { create }).catch(ignoreNotFound);
  }

  async #dir(parts: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    let dir: FileSystemDirectoryHandle | undefined = this.#root;
    for (const part of parts) {
      dir = await dir.getDirectoryHandle(part, { create }).catch(ignoreNotFound);
      if (!dir) return undefined;
    }
    return dir;
  }
}

function syncWriter(access: FileSystemSyncAccessHandle, offset: number): FileWriter {
  access.truncate(offset);
  let position = offset;
  let unflushed = 0;
  return {
    async write(chunk) {
      const written = access.write(chunk, { at: position });
      position += written;
      // A short write is storage that filled up: counting the chunk anyway would leave a truncated file to
      // fail its checksum, and the user would be told the download was corrupt instead of the disk full.
      if (written < chunk.byteLength) {
        throw new DOMException(
          `Only ${written} of ${chunk.byteLength} bytes were written.`,
          'QuotaExceededError',
        );
      }
      unflushed += chunk.byteLength;
      if (unflushed >= flushEveryBytes) {
        access.flush();
        unflushed = 0;
      }
    },
    async close() {
      access.flush();
      access.close();
    },
  };
}

async function writableWriter(writable: FileSystemWritableFileStream, offset: number): Promise<FileWriter> {
  await writable.truncate(offset);
  await writable.seek(offset);
  return {
    write: (chunk) => writable.write(chunk),
    close: () => writable.close(),
  };
}

async function sizeOf(dir: FileSystemDirectoryHandle): Promise<number> {
  let total = 0;
  for await (const entry of dir.values()) {
    total += entry.kind === 'file' ? (await entry.getFile()).size : await sizeOf(entry);
  }
  return total;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

/** A missing file or folder reads as undefined; anything else is a real failure. */
function ignoreNotFound(err: unknown): undefined {
  if (err instanceof DOMException && (err.name === 'NotFoundError' || err.name === 'TypeMismatchError')) {
    return undefined;
  }
  throw err;
}
