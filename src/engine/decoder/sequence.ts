/**
 * One sequence's decoder state: the positions its KV cache holds and the runs that extend it. A chat or
 * a completion holds one; the merged decoder's (today's KvCache) and the CPU static cache's
 * (cpu-static-decoder.ts) behave alike, so the turn code does not know which it has.
 */
import type { DecoderSpec } from '../model/validate';
import type { Ort } from '../runtime/ort';
import { type DecoderInput, runDecoderRows } from './decoder';
import { KvCache } from './kv-cache';
import type { KvSlicer } from './kv-slicer';
import type { StepTimes } from './step-times';

/** What a run gives per position: the logits, or the token the decoder already picked (argmax). */
export type StepRow = Float32Array | number;

export interface SequenceRunOptions {
  /** The argmax is all the caller needs (a greedy sampler): a decoder that computes it may skip the logits. */
  readonly tokensOnly?: boolean;
  readonly times?: StepTimes;
  /**
   * A run of several chunks (a photo's prefill, seconds on a CPU) stops between them once this aborts,
   * with an 'aborted' GlimpseError; the cache then holds the chunks already run.
   */
  readonly signal?: AbortSignal;
}

export interface DecoderSequence {
  /** Positions the cache holds. */
  readonly length: number;
  /** Runs `input` at the cache's end; a row for each of its last `rows` positions, in order. */
  run(input: DecoderInput, rows: number, options?: SequenceRunOptions): Promise<StepRow[]>;
  /** Keeps the first `length` positions. */
  truncate(length: number): Promise<void>;
  /** Forgets every position and frees what the cache holds. */
  clear(): void;
}

/** A decoder whose sequences the turn code opens (cpu-static-decoder.ts, row-cache-decoder.ts). */
export interface SequenceOpener {
  open(): DecoderSequence;
}

/** The row of a run's last position: after a prompt's prefill, what the first token is sampled from. */
export async function runLast(
  sequence: DecoderSequence,
  input: DecoderInput,
  options?: SequenceRunOptions,
): Promise<StepRow> {
  const [row] = await sequence.run(input, 1, options);
  if (row === undefined) throw new Error('a decoder run gave no row');
  return row;
}

/** The merged decoder over a KvCache: each run hands back the whole cache as new tensors. */
export function mergedSequence(ort: Ort, spec: DecoderSpec, slicer: KvSlicer | undefined): DecoderSequence {
  const cache = new KvCache(ort, spec, slicer);
  return {
    get length() {
      return cache.length;
    },
    run: (input, rows, options) => runDecoderRows(ort, spec, cache, input, rows, options),
    truncate: (length) => cache.truncate(length),
    clear: () => cache.clear(),
  };
}
