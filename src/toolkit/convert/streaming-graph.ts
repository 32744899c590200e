/**
 * A GraphBuilder that writes every large initializer to disk the moment it is added, so a converter
 * holds one tensor at a time. At the end the model is either one .onnx file (the tensors copied back in,
 * one by one) or, past the inline limit, X.onnx plus X.onnx_data, X.onnx_data_1, … (each below the
 * data-file limit, so that a browser can hold each in one ArrayBuffer).
 *
 * The large tensors are appended to the .onnx file as separate ModelProto fragments
 * (`graph { initializer { … } }`): protobuf merges repeated messages of the same field, so the result
 * is one model without ever serialising it as a whole.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProtoSchema,
} from 'onnx-buf';
import { type DataType, ELEM_TYPE, GraphBuilder, type TensorData } from '../onnx/graph';

/** Protobuf's hard cap is 2 GiB; stay clear of it. */
export const DEFAULT_INLINE_LIMIT = 1_900_000_000;
export const DEFAULT_DATA_FILE_LIMIT = 1_900_000_000;
/** Smaller tensors (norms, biases, shapes) stay in the graph itself. */
const STREAM_MIN_BYTES = 4096;
const ALIGN = 64;

export interface StreamingLimits {
  readonly inlineLimit?: number;
  readonly dataFileLimit?: number;
}

interface StreamedTensor {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly number[];
  readonly file: number;
  readonly offset: number;
  readonly length: number;
}

export interface WrittenModel {
  /** Paths of every file written: the .onnx file first, then its data files. */
  readonly files: readonly string[];
  readonly bytes: number;
}

export class StreamingGraphBuilder extends GraphBuilder {
  private readonly streamed: StreamedTensor[] = [];
  private readonly dataFiles: { path: string; fd: number; size: number }[] = [];
  private readonly inlineLimit: number;
  private readonly dataFileLimit: number;

  private readonly path: string;
  private readonly onTensor: (name: string, bytes: number) => void;

  /** `path`: the .onnx file to write; `onTensor` hears of each tensor written to disk. */
  constructor(
    graphName: string,
    path: string,
    limits: StreamingLimits = {},
    onTensor: (name: string, bytes: number) => void = () => {},
  ) {
    super(graphName);
    this.path = path;
    this.onTensor = onTensor;
    this.inlineLimit = limits.inlineLimit ?? DEFAULT_INLINE_LIMIT;
    this.dataFileLimit = limits.dataFileLimit ?? DEFAULT_DATA_FILE_LIMIT;
  }

  override initializer(name: string, type: DataType, dims: readonly number[], data: TensorData): string {
    if (data.byteLength < STREAM_MIN_BYTES) return super.initializer(name, type, dims, data);
    const unique = this.fresh(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const file = this.dataFileFor(bytes.byteLength);
    const target = this.dataFiles[file];
    if (!target) throw new Error('unreachable: no data file');
    const offset = Math.ceil(target.size / ALIGN) * ALIGN;
    writeAll(target.fd, bytes, offset);
    target.size = offset + bytes.byteLength;
    this.streamed.push({ name: unique, type, dims, file, offset, length: bytes.byteLength });
    this.onTensor(unique, bytes.byteLength);
    return unique;
  }

  /** Writes the model file (and keeps or folds in the data files); the builder is done after this. */
  finish(options: { readonly docString?: string } = {}): WrittenModel {
    const { model } = this.serialize(options.docString === undefined ? {} : { docString: options.docString });
    const streamedBytes = this.dataFiles.reduce((sum, f) => sum + f.size, 0);
    const inline = model.byteLength + streamedBytes < this.inlineLimit;
    const fd = openSync(this.path, 'w');
    let size = 0;
    const append = (bytes: Uint8Array): void => {
      writeAll(fd, bytes, size);
      size += bytes.byteLength;
    };
    try {
      append(model);
      for (const tensor of this.streamed)
        append(fragment(inline ? this.inlineTensor(tensor) : this.external(tensor)));
    } finally {
      closeSync(fd);
    }
    for (const f of this.dataFiles) closeSync(f.fd);
    if (inline) {
      for (const f of this.dataFiles) rmSync(f.path);
      return { files: [this.path], bytes: size };
    }
    return { files: [this.path, ...this.dataFiles.map((f) => f.path)], bytes: size + streamedBytes };
  }

  private dataFileFor(length: number): number {
    const last = this.dataFiles.length - 1;
    const current = this.dataFiles[last];
    if (current && (current.size === 0 || current.size + length <= this.dataFileLimit)) return last;
    const index = this.dataFiles.length;
    const path = index === 0 ? `${this.path}_data` : `${this.path}_data_${index}`;
    this.dataFiles.push({ path, fd: openSync(path, 'w+'), size: 0 });
    return index;
  }

  private inlineTensor(tensor: StreamedTensor) {
    const file = this.dataFiles[tensor.file];
    if (!file) throw new Error('unreachable: no data file');
    const rawData = new Uint8Array(tensor.length);
    let done = 0;
    while (done < rawData.byteLength) {
      const read = readSync(file.fd, rawData, done, rawData.byteLength - done, tensor.offset + done);
      if (read === 0) throw new Error(`${file.path} is shorter than written`);
      done += read;
    }
    return create(TensorProtoSchema, {
      name: tensor.name,
      dataType: ELEM_TYPE[tensor.type],
      dims: tensor.dims.map(BigInt),
      rawData,
    });
  }

  private external(tensor: StreamedTensor) {
    const file = this.dataFiles[tensor.file];
    if (!file) throw new Error('unreachable: no data file');
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    return create(TensorProtoSchema, {
      name: tensor.name,
      dataType: ELEM_TYPE[tensor.type],
      dims: tensor.dims.map(BigInt),
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        entry('location', basename(file.path)),
        entry('offset', String(tensor.offset)),
        entry('length', String(tensor.length)),
      ],
    });
  }
}

function fragment(tensor: ReturnType<typeof create<typeof TensorProtoSchema>>): Uint8Array {
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { graph: create(GraphProtoSchema, { initializer: [tensor] }) }),
  );
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), position + done);
  }
}
