/**
 * A model folder on the user's computer, from `<input type="file" webkitdirectory>` or, where the browser
 * has it, showDirectoryPicker (which also reads folders with many files without listing them first).
 */
import { type FolderFile, pathInFolder } from '../storage/folder-reader';

export interface PickedFolder {
  readonly name: string;
  readonly files: readonly FolderFile[];
}

/** The files of a directory input; each path is the part after the folder's name. */
export function folderFromInput(list: FileList | readonly File[]): PickedFolder | undefined {
  const files = [...list];
  const first = files[0]?.webkitRelativePath;
  if (!first) return undefined;
  return {
    name: first.split('/')[0] ?? first,
    files: files.map((file) => ({ path: pathInFolder(file.webkitRelativePath), file })),
  };
}

interface FileHandle {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}

interface DirectoryHandle {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<unknown>;
}

function isDirectoryHandle(value: unknown): value is DirectoryHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    value.kind === 'directory' &&
    'values' in value &&
    typeof value.values === 'function'
  );
}

function isFileHandle(value: unknown): value is FileHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    value.kind === 'file' &&
    'getFile' in value &&
    typeof value.getFile === 'function'
  );
}

export function canPickDirectory(): boolean {
  return typeof Reflect.get(window, 'showDirectoryPicker') === 'function';
}

/** Asks for a folder with showDirectoryPicker; undefined when the user cancels. */
export async function pickDirectory(): Promise<PickedFolder | undefined> {
  const picker: unknown = Reflect.get(window, 'showDirectoryPicker');
  if (typeof picker !== 'function') return undefined;
  let handle: unknown;
  try {
    handle = await picker.call(window, { id: 'glimpse-model', mode: 'read' });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') return undefined;
    throw err;
  }
  if (!isDirectoryHandle(handle)) return undefined;
  const files: FolderFile[] = [];
  await collect(handle, '', files);
  return { name: handle.name, files };
}

async function collect(directory: DirectoryHandle, prefix: string, into: FolderFile[]): Promise<void> {
  for await (const child of directory.values()) {
    if (isFileHandle(child)) into.push({ path: `${prefix}${child.name}`, file: await child.getFile() });
    else if (isDirectoryHandle(child)) await collect(child, `${prefix}${child.name}/`, into);
  }
}
