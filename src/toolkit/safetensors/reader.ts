/**
 * A small safetensors reader: the header (u64 little-endian length, then JSON) of each file, and tensors
 * read one at a time through a file handle, so that a checkpoint of any size is never held in memory.
 * F32, F16 and BF16 tensors come back as Float32Array. A sharded checkpoint is a folder with
 * model.safetensors.index.json, whose weight_map names each tensor's file.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { float16ToFloat32 } from '../../engine/runtime/float16';
import { bfloat16ToFloat32 } from './half';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly file: string;
  /** Absolute byte offset of the data in `file`. */
  readonly offset: number;
  readonly byteLength: number;
}

export const INDEX_FILE = 'model.safetensors.index.json';
/** A header larger than this is not a safetensors header (the format itself caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
/** readSync moves at most about 2 GB per call. */
const READ_CHUNK = 1 << 30;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return DTYPES.some((d) => d === value);
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < target.byteLength) {
    const length = Math.min(READ_CHUNK, target.byteLength - done);
    const read = readSync(fd, target, done, length, position + done);
    if (read === 0) throw new Error(`${path} ends before byte ${position + target.byteLength}`);
    done += read;
  }
}

/** The tensors a file declares, with absolute offsets; throws on a malformed header. */
export function readSafetensorsHeader(path: string): TensorInfo[] {
  const fd = openSync(path, 'r');
  try {
    const lengthBytes = new Uint8Array(8);
    readExactly(fd, lengthBytes, 0, path);
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES) throw new Error(`${path} is not a safetensors file (header length)`);
    const headerBytes = new Uint8Array(headerLength);
    readExactly(fd, headerBytes, 8, path);
    const header: unknown = JSON.parse(new TextDecoder().decode(headerBytes));
    if (!isRecord(header)) throw new Error(`${path}: the safetensors header is not a JSON object`);
    const dataStart = 8 + headerLength;
    const tensors: TensorInfo[] = [];
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (!isRecord(entry)) throw new Error(`${path}: tensor ${name} has no description`);
      const { dtype, shape, data_offsets: offsets } = entry;
      if (!isDtype(dtype))
        throw new Error(`${path}: tensor ${name} is ${String(dtype)}; only ${DTYPES.join(', ')} are read`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        throw new Error(`${path}: tensor ${name} has no valid shape`);
      const [begin, end] = Array.isArray(offsets) ? offsets : [];
      const count = shape.reduce((a: number, b: number) => a * b, 1);
      if (typeof begin !== 'number' || typeof end !== 'number' || end - begin !== count * BYTES[dtype])
        throw new Error(`${path}: tensor ${name} has data_offsets that do not fit its shape`);
      tensors.push({ name, dtype, shape, file: path, offset: dataStart + begin, byteLength: end - begin });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

function shardFiles(dir: string): string[] {
  const index = join(dir, INDEX_FILE);
  if (existsSync(index)) {
    const parsed: unknown = JSON.parse(readFileSync(index, 'utf8'));
    const map = isRecord(parsed) ? parsed.weight_map : undefined;
    if (!isRecord(map)) throw new Error(`${index} has no weight_map`);
    const files = new Set(Object.values(map).filter((f): f is string => typeof f === 'string'));
    return [...files].sort();
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
  if (files.length === 0) throw new Error(`${dir} holds no .safetensors file`);
  return files;
}

/** The tensors of a checkpoint folder, read on demand; call close() when done. */
export class SafetensorsCheckpoint {
  private readonly handles = new Map<string, number>();
  private readonly tensors: ReadonlyMap<string, TensorInfo>;

  private constructor(tensors: ReadonlyMap<string, TensorInfo>) {
    this.tensors = tensors;
  }

  static open(dir: string): SafetensorsCheckpoint {
    const tensors = new Map<string, TensorInfo>();
    for (const file of shardFiles(dir)) {
      for (const info of readSafetensorsHeader(join(dir, file))) tensors.set(info.name, info);
    }
    return new SafetensorsCheckpoint(tensors);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new Error(`the checkpoint has no tensor ${name}`);
    return info;
  }

  /** Total bytes of all tensors as stored. */
  byteLength(): number {
    let total = 0;
    for (const info of this.tensors.values()) total += info.byteLength;
    return total;
  }

  /** One tensor as float32, read from disk now. */
  read(name: string): Float32Array {
    const info = this.info(name);
    const count = info.byteLength / BYTES[info.dtype];
    if (info.dtype === 'F32') {
      const out = new Float32Array(count);
      readExactly(this.handle(info.file), new Uint8Array(out.buffer), info.offset, info.file);
      return out;
    }
    const bits = new Uint16Array(count);
    readExactly(this.handle(info.file), new Uint8Array(bits.buffer), info.offset, info.file);
    return info.dtype === 'F16' ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
  }

  close(): void {
    for (const fd of this.handles.values()) closeSync(fd);
    this.handles.clear();
  }

  private handle(file: string): number {
    let fd = this.handles.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      this.handles.set(file, fd);
    }
    return fd;
  }
}
