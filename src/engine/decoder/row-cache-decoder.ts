/**
 * The merged decoder on a CPU backend with the KV cache in the engine's buffers (row-cache-graph.ts,
 * kv-buffers.ts): each run is fed the positions held, position-major as a view ('rows') or the whole
 * head-major buffer ('capacity', GroupQueryAttention reading the length from the mask), and its new rows
 * are written after them, a few KB a step where the merged decoder handed back the whole cache.
 */
import type { DecoderSpec } from '../model/validate';
import type { Ort, OrtSession, OrtTensor } from '../runtime/ort';
import { int64Tensor } from '../runtime/tensors';
import { KV_ENDS, KV_STARTS } from './cpu-static-graph';
import { type DecoderInput, inputLength, lastRows, PREFILL_CHUNK, stepFeeds } from './decoder';
import { KvBufferSequence } from './kv-buffer-sequence';
import { KvBuffers } from './kv-buffers';
import { addedRowsName, pastRowsName, type RowCacheLayout } from './row-cache-graph';
import type { DecoderSequence, SequenceRunOptions, StepRow } from './sequence';
import { timed } from './step-times';

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

class RowCacheSequence extends KvBufferSequence {
  private readonly decoder: RowCacheDecoder;

  constructor(decoder: RowCacheDecoder) {
    const { numLayers, kvHeads, headDim, kvType } = decoder.spec;
    super(
      new KvBuffers(
        { layers: numLayers, kvHeads, headDim, maxLength: decoder.maxLength, type: kvType },
        decoder.layout === 'rows' ? 'position-major' : 'head-major',
      ),
    );
    this.decoder = decoder;
  }

  /** The exports' plain attention, like the two-part one, builds a run's scores whole (PREFILL_CHUNK). */
  protected chunkLimit(): number | undefined {
    const { layout, spec } = this.decoder;
    return spec.maxRunPositions ?? (layout === 'rows' ? PREFILL_CHUNK : undefined);
  }

  protected async runOnce(
    input: DecoderInput,
    rows: number,
    options: SequenceRunOptions,
  ): Promise<StepRow[]> {
    const { ort, spec } = this.decoder;
    const { cache } = this;
    const { numLayers, kvHeads, headDim, kvType } = spec;
    const start = cache.length;
    const count = inputLength(input);
    const end = start + count;
    cache.reserve(end);
    const { feeds, created } = stepFeeds(ort, spec, input, start, rows);
    feeds[KV_STARTS] = int64Tensor(ort, [0, 0, start, 0], [4]);
    feeds[KV_ENDS] = int64Tensor(ort, [1, kvHeads, end, headDim], [4]);
    created.push(feeds[KV_STARTS], feeds[KV_ENDS]);
    const positionMajor = cache.layout === 'position-major';
    for (let layer = 0; layer < numLayers; layer++) {
      for (const [j, kind] of (['key', 'value'] as const).entries()) {
        const array = cache.array(layer * 2 + j);
        const past = positionMajor
          ? new ort.Tensor(kvType, array.subarray(0, start * kvHeads * headDim), [1, start, kvHeads, headDim])
          : new ort.Tensor(kvType, array, [1, kvHeads, cache.capacity, headDim]);
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
        this.writeRows(start, count, (layer, kind) => outputs[addedRowsName(layer, kind)]?.data, spec.file);
        const logits = outputs.logits;
        if (!logits) throw new Error(`${spec.file} returned no logits.`);
        const kept = await lastRows(logits, rows);
        cache.length = end;
        return kept;
      });
    } finally {
      for (const tensor of Object.values(outputs)) tensor.dispose();
    }
  }
}
