/**
 * Writes safetensors files (and the index of a sharded checkpoint): used to turn test models into
 * Hugging Face checkpoints. Tensors are float32 values stored as F32, F16 or BF16.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToFloat16 } from '../../engine/runtime/float16';
import { toBfloat16Bits } from './half';
import { INDEX_FILE, type SafetensorsDtype } from './reader';

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  /** The values, or a function that makes them when the tensor is written (for checkpoints larger than memory). */
  readonly values: Float32Array | (() => Float32Array);
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function encode(values: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const data = dtype === 'F32' ? values : dtype === 'F16' ? float32ToFloat16(values) : toBfloat16Bits(values);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One safetensors file, written tensor by tensor; the header is padded with spaces to a multiple of 8
 * bytes, as the format asks.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  dtype: SafetensorsDtype,
): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const { name, shape } of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 8) * 8, ' '));
  const prefix = new Uint8Array(8 + headerBytes.byteLength);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  prefix.set(headerBytes, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix);
    for (const { name, shape, values } of tensors) {
      const data = typeof values === 'function' ? values() : values;
      const count = shape.reduce((a, b) => a * b, 1);
      if (count !== data.length)
        throw new Error(`tensor ${name}: ${data.length} values for shape [${shape}]`);
      const bytes = encode(data, dtype);
      for (let done = 0; done < bytes.byteLength; )
        done += writeSync(fd, bytes, done, bytes.byteLength - done);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A checkpoint in `shards` files named model-0000i-of-0000n.safetensors with model.safetensors.index.json
 * (or one model.safetensors when `shards` is 1), tensors dealt out in order.
 */
export function writeCheckpoint(
  dir: string,
  tensors: readonly TensorToWrite[],
  options: { readonly dtype: SafetensorsDtype; readonly shards?: number },
): void {
  const shards = options.shards ?? 1;
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors, options.dtype);
    return;
  }
  const perShard = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  const pad = (n: number): string => String(n).padStart(5, '0');
  for (let s = 0; s < shards; s++) {
    const file = `model-${pad(s + 1)}-of-${pad(shards)}.safetensors`;
    const part = tensors.slice(s * perShard, (s + 1) * perShard);
    for (const t of part) weightMap[t.name] = file;
    writeSafetensors(join(dir, file), part, options.dtype);
  }
  writeFileSync(
    join(dir, INDEX_FILE),
    `${JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2)}\n`,
  );
}
