/**
 * The merged decoder on a CPU backend with the KV cache in the caller's memory (row-cache-graph.ts): each
 * sequence owns one buffer per layer and kind, fed on every run, and a run's new rows are copied in after
 * the positions held, a few KB a step where the merged decoder handed back the whole cache. Rewinding (a
 * wrong draft, a shorter common prefix) only lowers the length. The capacity grows in blocks as the
 * sequence does, up to the context length.
 * - 'rows' layout: position-major [capacity × kvHeads × headDim], fed as a view of its first positions;
 * - 'capacity' layout: [kvHeads × capacity × headDim], fed whole (GroupQueryAttention reads the length from
 *   the mask).
 */
import type { DecoderSpec } from '../model/validate';
import type { Ort, OrtSession, OrtTensor } from '../runtime/ort';
import { int64Tensor } from '../runtime/tensors';
import { KV_ENDS, KV_STARTS } from './cpu-static-graph';
import { type DecoderInput, inputLength, lastRows, runInChunks, stepFeeds } from './decoder';
import { addedRowsName, pastRowsName, type RowCacheLayout } from './row-cache-graph';
import type { DecoderSequence, SequenceRunOptions, StepRow } from './sequence';
import { timed } from './step-times';

/** Capacity comes in whole blocks of this many positions. */
const BLOCK = 256;

type CacheArray = Float32Array | Uint16Array;

/** The rewired graph's session, shared by every sequence of a model (the model releases the session). */
export class RowCacheDecoder {
  readonly ort: Ort;
  /** The merged decoder's contract; its session is the rewired graph's. */
  readonly spec: DecoderSpec;
  readonly layout: RowCacheLayout;
  readonly maxLength: number;

  constructor(ort: Ort, spec: DecoderSpec, layout: RowCacheLayout, maxLength: number) {
    this.ort = ort;
    this.spec = spec;
    this.layout = layout;
    this.maxLength = maxLength;
  }

  get session(): OrtSession {
    return this.spec.session;
  }

  open(): DecoderSequence {
    return new RowCacheSequence(this);
  }
}

class RowCacheSequence implements DecoderSequence {
  private position = 0;
  private capacity = 0;
  private buffers: CacheArray[] = [];

  private readonly decoder: RowCacheDecoder;

  constructor(decoder: RowCacheDecoder) {
    this.decoder = decoder;
  }

  get length(): number {
    return this.position;
  }

  async truncate(length: number): Promise<void> {
    this.position = Math.max(0, Math.min(this.position, length));
  }

  clear(): void {
    this.position = 0;
    this.capacity = 0;
    this.buffers = [];
  }

  run(input: DecoderInput, rows: number, options: SequenceRunOptions = {}): Promise<StepRow[]> {
    const count = inputLength(input);
    if (count < 1 || rows < 1 || rows > count) throw new Error(`cannot keep ${rows} rows of ${count}`);
    return runInChunks(this.decoder.spec.maxRunPositions, input, rows, (chunk, wanted) =>
      this.runOnce(chunk, wanted, options),
    );
  }

  private async runOnce(input: DecoderInput, rows: number, options: SequenceRunOptions): Promise<StepRow[]> {
    const { ort, spec, maxLength } = this.decoder;
    const { numLayers, kvHeads, headDim, kvType } = spec;
    const start = this.position;
    const count = inputLength(input);
    const end = start + count;
    if (end > maxLength) throw new Error(`the context holds ${maxLength} positions, not ${end}`);
    this.reserve(end);
    const { feeds, created } = stepFeeds(ort, spec, input, start, rows);
    feeds[KV_STARTS] = int64Tensor(ort, [0, 0, start, 0], [4]);
    feeds[KV_ENDS] = int64Tensor(ort, [1, kvHeads, end, headDim], [4]);
    created.push(feeds[KV_STARTS], feeds[KV_ENDS]);
    const positionMajor = this.decoder.layout === 'rows';
    for (let layer = 0; layer < numLayers; layer++) {
      for (const [j, kind] of (['key', 'value'] as const).entries()) {
        const buffer = this.buffers[layer * 2 + j];
        if (!buffer) throw new Error('unreachable: missing KV buffer');
        const past = positionMajor
          ? new ort.Tensor(kvType, buffer.subarray(0, start * kvHeads * headDim), [
              1,
              start,
              kvHeads,
              headDim,
            ])
          : new ort.Tensor(kvType, buffer, [1, kvHeads, this.capacity, headDim]);
        feeds[positionMajor ? pastRowsName(layer, kind) : `past_key_values.${layer}.${kind}`] = past;
        created.push(past);
      }
    }
    let outputs: Record<string, OrtTensor>;
    try {
      outputs = await timed(options.times, 'runMs', () => spec.session.run(feeds));
    } finally {
      for (const tensor of created) tensor.dispose();
    }
    try {
      return await timed(options.times, 'readMs', async () => {
        for (let layer = 0; layer < numLayers; layer++) {
          for (const [j, kind] of (['key', 'value'] as const).entries()) {
            const added = outputs[addedRowsName(layer, kind)]?.data;
            const buffer = this.buffers[layer * 2 + j];
            if (
              !ArrayBuffer.isView(added) ||
              !buffer ||
              added.byteLength !== count * kvHeads * headDim * buffer.BYTES_PER_ELEMENT
            )
              throw new Error(`${spec.file} returned no new ${kind} rows of layer ${layer}`);
            // As bytes, so that float16 rows (Uint16Array, or Float16Array where the runtime has one) copy alike.
            const from = new Uint8Array(added.buffer, added.byteOffset, added.byteLength);
            const to = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
            const size = buffer.BYTES_PER_ELEMENT * headDim;
            if (positionMajor) to.set(from, start * kvHeads * size);
            else
              for (let head = 0; head < kvHeads; head++)
                to.set(
                  from.subarray(head * count * size, (head + 1) * count * size),
                  (head * this.capacity + start) * size,
                );
          }
        }
        const logits = outputs.logits;
        if (!logits) throw new Error(`${spec.file} returned no logits.`);
        const kept = await lastRows(logits, rows);
        this.position = end;
        return kept;
      });
    } finally {
      for (const tensor of Object.values(outputs)) tensor.dispose();
    }
  }

  /** Buffers for at least `length` positions, the positions held copied over when they grow. */
  private reserve(length: number): void {
    if (length <= this.capacity) return;
    const { spec, maxLength } = this.decoder;
    const grown = Math.max(length, Math.ceil((this.capacity * 1.5) / BLOCK) * BLOCK);
    const capacity = Math.min(maxLength, Math.ceil(grown / BLOCK) * BLOCK);
    const { kvHeads, headDim } = spec;
    const rows = this.decoder.layout === 'rows';
    this.buffers = Array.from({ length: spec.numLayers * 2 }, (_, i) => {
      const size = capacity * kvHeads * headDim;
      const buffer = spec.kvType === 'float16' ? new Uint16Array(size) : new Float32Array(size);
      const old = this.buffers[i];
      if (old && rows) buffer.set(old.subarray(0, this.position * kvHeads * headDim));
      else if (old)
        for (let head = 0; head < kvHeads; head++)
          buffer.set(
            old.subarray(head * this.capacity * headDim, (head * this.capacity + this.position) * headDim),
            head * capacity * headDim,
          );
      return buffer;
    });
    this.capacity = capacity;
  }
}
