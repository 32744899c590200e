/**
 * What the CPU decoders that keep the KV cache in the engine's buffers share (cpu-static-decoder.ts,
 * row-cache-decoder.ts): the positions held, room for a whole run reserved before its first chunk, the
 * chunks run in turn, and each run's new rows written after the positions held. Rewinding is a length change.
 */
import { type DecoderInput, inputLength, runInChunks } from './decoder';
import type { KvBuffers } from './kv-buffers';
import type { DecoderSequence, SequenceRunOptions, StepRow } from './sequence';

export abstract class KvBufferSequence implements DecoderSequence {
  protected readonly cache: KvBuffers;

  constructor(cache: KvBuffers) {
    this.cache = cache;
  }

  get length(): number {
    return this.cache.length;
  }

  async truncate(length: number): Promise<void> {
    this.cache.truncate(length);
  }

  clear(): void {
    this.cache.clear();
  }

  async run(input: DecoderInput, rows: number, options: SequenceRunOptions = {}): Promise<StepRow[]> {
    const count = inputLength(input);
    if (count < 1 || rows < 1 || rows > count) throw new Error(`cannot keep ${rows} rows of ${count}`);
    // Room for the whole run at once: grown chunk by chunk, the cache would be copied into new memory at
    // each growth, which in a page costs more than the copy (bench/README.md).
    this.reserve(this.cache.length + count);
    return runInChunks(
      this.chunkLimit(),
      input,
      rows,
      (chunk, wanted) => this.runOnce(chunk, wanted, options),
      options.signal,
    );
  }

  /** Room for `length` positions; true when the buffers grew (new arrays: tensors over the old are stale). */
  protected reserve(length: number): boolean {
    return this.cache.reserve(length);
  }

  /**
   * Writes a run's `count` new rows of every layer's keys and values at `start`; `added` gives each output.
   * `source` names the graph in the error when an output is missing or of the wrong size.
   */
  protected writeRows(
    start: number,
    count: number,
    added: (layer: number, kind: 'key' | 'value') => unknown,
    source: string,
  ): void {
    for (let layer = 0; layer < this.cache.shape.layers; layer++) {
      for (const [j, kind] of (['key', 'value'] as const).entries()) {
        if (!this.cache.write(layer * 2 + j, start, count, added(layer, kind)))
          throw new Error(`${source} returned no new ${kind} rows of layer ${layer}`);
      }
    }
  }

  /** The most positions one run may have; undefined for no limit. */
  protected abstract chunkLimit(): number | undefined;

  /** One run of at most chunkLimit() positions at the cache's end. */
  protected abstract runOnce(
    input: DecoderInput,
    rows: number,
    options: SequenceRunOptions,
  ): Promise<StepRow[]>;
}
