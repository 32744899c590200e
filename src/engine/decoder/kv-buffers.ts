/**
 * One sequence's KV cache in buffers of the engine's own, one per layer and kind, for the decoders that
 * keep it in place on a CPU backend (cpu-static-decoder.ts, row-cache-decoder.ts): a run's new rows are
 * written after the positions held, and rewinding (a wrong draft, a shorter common prefix) only lowers the
 * length. The capacity grows in blocks as the sequence does, up to the context length, so that a short
 * sequence does not pay for a cache the length of the context (a graph that reads the whole buffer would).
 * - 'head-major': [kvHeads × capacity × headDim], the layout the graph reads, fed whole;
 * - 'position-major': [capacity × kvHeads × headDim], fed as a view of the positions held, transposed by
 *   the graph (row-cache-graph.ts).
 */
import type { FloatType } from '../runtime/tensors';

export type KvLayout = 'head-major' | 'position-major';

export interface KvBufferShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly maxLength: number;
  readonly type: FloatType;
}

/** Capacity comes in whole blocks of this many positions. */
const BLOCK = 256;

export type KvArray = Float32Array | Uint16Array;

export class KvBuffers {
  /** Positions held. */
  length = 0;
  capacity = 0;
  /** Layer `l`'s keys at 2·l, its values at 2·l + 1. */
  arrays: KvArray[] = [];

  readonly shape: KvBufferShape;
  readonly layout: KvLayout;

  constructor(shape: KvBufferShape, layout: KvLayout) {
    this.shape = shape;
    this.layout = layout;
  }

  truncate(length: number): void {
    this.length = Math.max(0, Math.min(this.length, length));
  }

  clear(): void {
    this.length = 0;
    this.capacity = 0;
    this.arrays = [];
  }

  /**
   * Room for at least `length` positions, the positions held copied over when the buffers grow; true when
   * they did (new arrays: tensors over the old ones are stale).
   */
  reserve(length: number): boolean {
    if (length > this.shape.maxLength)
      throw new Error(`the context holds ${this.shape.maxLength} positions, not ${length}`);
    if (length <= this.capacity) return false;
    const { kvHeads, headDim, layers, maxLength, type } = this.shape;
    const grown = Math.max(length, Math.ceil((this.capacity * 1.5) / BLOCK) * BLOCK);
    const capacity = Math.min(maxLength, Math.ceil(grown / BLOCK) * BLOCK);
    this.arrays = Array.from({ length: layers * 2 }, (_, i) => {
      const size = capacity * kvHeads * headDim;
      const array = type === 'float16' ? new Uint16Array(size) : new Float32Array(size);
      const old = this.arrays[i];
      if (old && this.layout === 'position-major')
        array.set(old.subarray(0, this.length * kvHeads * headDim));
      else if (old)
        for (let head = 0; head < kvHeads; head++)
          array.set(
            old.subarray(head * this.capacity * headDim, (head * this.capacity + this.length) * headDim),
            head * capacity * headDim,
          );
      return array;
    });
    this.capacity = capacity;
    return true;
  }

  array(index: number): KvArray {
    const array = this.arrays[index];
    if (!array) throw new Error('unreachable: a KV buffer not reserved');
    return array;
  }

  /**
   * Writes a run's `count` new rows of buffer `index` at position `start`, from an output in this layout
   * ([kvHeads × count × headDim] head-major, [count × kvHeads × headDim] position-major). Copied as bytes, so
   * that float16 rows (Uint16Array, or Float16Array where the runtime has one) copy alike. False when the
   * output is not of that size.
   */
  write(index: number, start: number, count: number, added: unknown): boolean {
    const array = this.array(index);
    const { kvHeads, headDim } = this.shape;
    const size = array.BYTES_PER_ELEMENT * headDim;
    if (!ArrayBuffer.isView(added) || added.byteLength !== count * kvHeads * size) return false;
    const from = new Uint8Array(added.buffer, added.byteOffset, added.byteLength);
    const to = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    if (this.layout === 'position-major') to.set(from, start * kvHeads * size);
    else
      for (let head = 0; head < kvHeads; head++)
        to.set(
          from.subarray(head * count * size, (head + 1) * count * size),
          (head * this.capacity + start) * size,
        );
    return true;
  }
}
