/**
 * A package in a folder the user picked (`<input type="file" webkitdirectory>` or showDirectoryPicker):
 * its files are read where they are, so a model on disk loads without a copy in the model cache.
 */
import { GlimpseError } from '../engine/errors';
import type { PackageReader, ReadOptions } from '../engine/types';

/** One file of the folder; `path` is relative to the folder ("config.json", "onnx/…"). */
export interface FolderFile {
  readonly path: string;
  readonly file: Blob;
}

/** A picked file's path inside its folder: the part after the folder's own name. */
export function pathInFolder(relativePath: string): string {
  const slash = relativePath.indexOf('/');
  return slash < 0 ? relativePath : relativePath.slice(slash + 1);
}

export function createFolderReader(name: string, files: readonly FolderFile[]): PackageReader {
  const byPath = new Map(files.map((entry) => [entry.path, entry.file]));
  return {
    location: name,
    async read(path, options = {}) {
      const file = byPath.get(path);
      return file ? readBlob(file, path, options) : null;
    },
  };
}

async function readBlob(file: Blob, path: string, { signal, onProgress }: ReadOptions): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.size);
  let loaded = 0;
  try {
    for await (const chunk of file.stream()) {
      signal?.throwIfAborted();
      bytes.set(chunk, loaded);
      loaded += chunk.byteLength;
      onProgress?.(loaded, file.size);
    }
  } catch (cause) {
    if (signal?.aborted) throw new GlimpseError('aborted', 'The model load was cancelled.', { cause });
    throw new GlimpseError(
      'package-file-missing',
      `Could not read ${path} from the folder; it may have been moved or changed. Pick the folder again.`,
      { cause, details: { file: path } },
    );
  }
  return bytes;
}
