/**
 * The decoder over a KV cache that stays in place, on onnxruntime-node's CPU provider: the package's
 * decoder_model_static, rewired by cpu-static-graph.ts so that a run hands back only the positions it
 * added. Each sequence's cache is head-major buffers of the engine's own (kv-buffers.ts), fed whole as the
 * past on every run; the new rows are copied in after the positions held, a few KB a step instead of the
 * whole cache. They grow with the sequence: GroupQueryAttention clears its internal present buffer, which is
 * as long as the past, on every run, and the two-part attention (two-part-attention.ts) reads the past's
 * whole capacity, masked past its length.
 *
 * Under the two-part attention a run is handed the past at its valid length, not its capacity, where that
 * costs no copy or little: a view of the buffer when there is one KV head (each head's rows lie at the
 * start), a compact copy for a run of many new positions (a prefill chunk reads the past once per query
 * row; the copy costs once), nothing at all for a prefill from the start.
 */
import type { Ort, OrtSession, OrtTensor } from '../runtime/ort';
import { int64Tensor } from '../runtime/tensors';
import type { CpuAttentionKind } from '../types';
import { KV_ENDS, KV_STARTS, LOGITS_START, newRowsName } from './cpu-static-graph';
import { type DecoderInput, PREFILL_CHUNK } from './decoder';
import { KvBufferSequence } from './kv-buffer-sequence';
import { KvBuffers } from './kv-buffers';
import type { SequenceRunOptions, StepRow } from './sequence';
import type { StaticDecoderShape } from './static-decoder';
import { timed } from './step-times';

export interface CpuStaticShape
  extends Pick<StaticDecoderShape, 'layers' | 'kvHeads' | 'headDim' | 'maxLength' | 'positionIds'> {
  /** The attention the rewired graph runs (cpuStaticGraph's). */
  readonly attention: CpuAttentionKind;
}

/**
 * Runs of at least this many new positions get the past as a compact copy under the two-part attention:
 * then the masked capacity would cost more than the copy.
 */
export const COMPACT_PAST_RUN = 64;

/** The rewired graph's session, shared by every sequence of a model (the model releases the session). */
export class CpuStaticDecoder {
  readonly ort: Ort;
  readonly session: OrtSession;
  readonly shape: CpuStaticShape;

  constructor(ort: Ort, session: OrtSession, shape: CpuStaticShape) {
    this.ort = ort;
    this.session = session;
    this.shape = shape;
  }

  open(): CpuStaticSequence {
    return new CpuStaticSequence(this);
  }
}

export class CpuStaticSequence extends KvBufferSequence {
  private readonly decoder: CpuStaticDecoder;
  /** A tensor over each whole buffer, made again when the buffers grow. */
  private tensors: OrtTensor[] = [];
  /** The compact copies of the past, reused by the chunks of one run (compactPast). */
  private scratch: Float32Array[] = [];

  constructor(decoder: CpuStaticDecoder) {
    const { layers, kvHeads, headDim, maxLength } = decoder.shape;
    super(new KvBuffers({ layers, kvHeads, headDim, maxLength, type: 'float32' }, 'head-major'));
    this.decoder = decoder;
  }

  override clear(): void {
    super.clear();
    this.tensors = [];
    this.scratch = [];
  }

  override async run(
    input: DecoderInput,
    rows: number,
    options: SequenceRunOptions = {},
  ): Promise<StepRow[]> {
    if (input.kind !== 'embeds') throw new Error('the static decoder takes embeddings');
    try {
      return await super.run(input, rows, options);
    } finally {
      this.scratch = [];
    }
  }

  protected chunkLimit(): number | undefined {
    return this.decoder.shape.attention === 'two-part' ? PREFILL_CHUNK : undefined;
  }

  protected override reserve(length: number): boolean {
    const { cache } = this;
    const { kvHeads, headDim } = this.decoder.shape;
    const grown = cache.reserve(length);
    if (grown)
      this.tensors = cache.arrays.map(
        (array) => new this.decoder.ort.Tensor('float32', array, [1, kvHeads, cache.capacity, headDim]),
      );
    return grown;
  }

  protected async runOnce(
    input: DecoderInput,
    rows: number,
    options: SequenceRunOptions,
  ): Promise<StepRow[]> {
    if (input.kind !== 'embeds') throw new Error('unreachable: a chunk of embeddings');
    const { ort, session, shape } = this.decoder;
    const { cache } = this;
    const count = input.length;
    const start = cache.length;
    const end = start + count;
    const { kvHeads, headDim, layers } = shape;
    this.reserve(end);
    const twoPart = shape.attention === 'two-part';
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: new ort.Tensor('float32', input.data, [1, count, input.hidden]),
      seqlens_k: new ort.Tensor('int32', Int32Array.of(end - 1), [1]),
      total_sequence_length: new ort.Tensor('int32', Int32Array.of(end), []),
      [LOGITS_START]: int64Tensor(ort, [-rows], [1]),
    };
    if (!twoPart) {
      feeds[KV_STARTS] = int64Tensor(ort, [0, 0, start, 0], [4]);
      feeds[KV_ENDS] = int64Tensor(ort, [1, kvHeads, end, headDim], [4]);
    }
    const compact = twoPart && (kvHeads === 1 || count >= COMPACT_PAST_RUN);
    if (shape.positionIds)
      feeds.position_ids = int64Tensor(
        ort,
        Array.from({ length: count }, (_, i) => start + i),
        [1, count],
      );
    const fetches = options.tokensOnly ? ['next_token'] : ['logits'];
    for (let layer = 0; layer < layers; layer++) {
      for (const [j, kind] of (['key', 'value'] as const).entries()) {
        const past = compact ? this.compactPast(layer * 2 + j, start) : this.tensors[layer * 2 + j];
        if (!past) throw new Error('unreachable: missing KV buffer');
        feeds[`past_key_values.${layer}.${kind}`] = past;
        fetches.push(newRowsName(layer, kind));
      }
    }
    const outputs = await timed(options.times, 'runMs', () => session.run(feeds, fetches));
    return timed(options.times, 'readMs', async () => {
      this.writeRows(
        start,
        count,
        (layer, kind) => outputs[newRowsName(layer, kind)]?.data,
        'the static decoder',
      );
      cache.length = end;
      return this.rowsOf(outputs, rows, options.tokensOnly === true);
    });
  }

  private rowsOf(outputs: Record<string, OrtTensor>, rows: number, tokensOnly: boolean): StepRow[] {
    if (tokensOnly) {
      const tokens = outputs.next_token?.data;
      if (!(tokens instanceof Int32Array)) throw new Error('the decoder returned no next_token');
      return Array.from(tokens);
    }
    const logits = outputs.logits?.data;
    if (!(logits instanceof Float32Array) || logits.length % rows !== 0)
      throw new Error('the decoder returned no logits of the rows asked for');
    const vocab = logits.length / rows;
    // Each run's outputs are new arrays: a row can be a view of them.
    return Array.from({ length: rows }, (_, i) => logits.subarray(i * vocab, (i + 1) * vocab));
  }

  /** Buffer `index`'s first `length` positions of each head as a tensor: a view with one head, else a copy. */
  private compactPast(index: number, length: number): OrtTensor {
    const buffer = this.cache.array(index);
    const { capacity } = this.cache;
    const { kvHeads, headDim } = this.decoder.shape;
    const dims = [1, kvHeads, length, headDim];
    if (kvHeads === 1)
      return new this.decoder.ort.Tensor('float32', buffer.subarray(0, length * headDim), dims);
    const size = kvHeads * length * headDim;
    // Memory already written, reused by the next chunk: in a page, new memory costs more than the copy.
    let scratch = this.scratch[index];
    if (!scratch || scratch.length < size) {
      scratch = new Float32Array(kvHeads * capacity * headDim);
      this.scratch[index] = scratch;
    }
    const past = scratch.subarray(0, size);
    for (let head = 0; head < kvHeads; head++)
      past.set(
        buffer.subarray(head * capacity * headDim, (head * capacity + length) * headDim),
        head * length * headDim,
      );
    return new this.decoder.ort.Tensor('float32', past, dims);
  }
}
