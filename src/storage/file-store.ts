/**
 * Where the model cache keeps its bytes: the Origin Private File System in the browser
 * (opfs-store.ts), a folder on disk in Node (node-file-store.ts). Paths are relative, '/'-separated.
 */
export interface FileStore {
  stat(path: string): Promise<FileStat | undefined>;
  read(path: string): Promise<Uint8Array<ArrayBuffer> | undefined>;
  /** Replaces a small file (metadata) as a whole. */
  write(path: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Opens a file for streaming writes from `offset`: bytes before it are kept, bytes after it dropped. */
  openWriter(path: string, offset: number): Promise<FileWriter>;
  /** Removes a file or a folder with everything in it; a missing one is no error. */
  remove(path: string): Promise<void>;
  /** Names of the folders directly inside `dir` (none when it does not exist). */
  listFolders(dir: string): Promise<string[]>;
  /** Names of the files directly inside `dir` (none when it does not exist). */
  listFiles(dir: string): Promise<string[]>;
  /** Bytes of all files under `dir`. */
  totalSize(dir: string): Promise<number>;
  /** Bytes used and allowed for this origin or cache, when the platform tells. */
  estimate(): Promise<StorageEstimateBytes | undefined>;
}

export interface FileStat {
  readonly size: number;
  /** Changes whenever the content is written, so a verification can be remembered per version. */
  readonly lastModified: number;
}

export interface FileWriter {
  write(chunk: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Makes what was written durable; the file keeps it even when the download stops here. */
  close(): Promise<void>;
}

export interface StorageEstimateBytes {
  readonly usage: number;
  readonly quota: number;
}
