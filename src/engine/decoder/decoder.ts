/** One decoder run over new positions, extending the KV cache and returning the logits of the last positions. */

import { throwIfAborted } from '../errors';
import type { DecoderSpec } from '../model/validate';
import { float16ToFloat32 } from '../runtime/float16';
import type { Ort, OrtTensor } from '../runtime/ort';
import { createFloatTensor, int64Tensor } from '../runtime/tensors';
import type { KvCache } from './kv-cache';
import { ARGMAX, LAST_LOGITS } from './logits-outputs-graph';
import type { SequenceRunOptions, StepRow } from './sequence';
import { timed } from './step-times';

/**
 * What the new positions are: embeddings [T × hidden] for 'embeds' decoders, token ids for 'ids' ones.
 * 'device' embeddings are embed_tokens' output left in GPU memory, in the decoder's float type, fed as
 * they are (a decode step's, never cut into chunks); the run that takes them disposes the tensor.
 */
export type DecoderInput =
  | { readonly kind: 'embeds'; readonly data: Float32Array; readonly length: number; readonly hidden: number }
  | { readonly kind: 'device'; readonly tensor: OrtTensor; readonly length: number }
  | { readonly kind: 'ids'; readonly ids: readonly number[] };

/** The logits of the last position. */
export async function runDecoder(
  ort: Ort,
  spec: DecoderSpec,
  cache: KvCache,
  input: DecoderInput,
): Promise<Float32Array> {
  const [logits] = await runDecoderRows(ort, spec, cache, input, 1);
  if (!(logits instanceof Float32Array)) throw new Error('unreachable: a decoder run without logits');
  return logits;
}

export function inputLength(input: DecoderInput): number {
  return input.kind === 'ids' ? input.ids.length : input.length;
}

function sliceInput(input: DecoderInput, start: number, end: number): DecoderInput {
  if (input.kind === 'ids') return { kind: 'ids', ids: input.ids.slice(start, end) };
  if (input.kind === 'device') throw new Error('unreachable: embeddings in GPU memory cut into chunks');
  const { data, hidden } = input;
  return { kind: 'embeds', data: data.subarray(start * hidden, end * hidden), length: end - start, hidden };
}

/**
 * The logits of each of the last `rows` positions, in order. A run longer than the decoder's
 * `maxRunPositions` goes through in chunks that extend the KV cache one after another, which gives the
 * same logits as one run.
 */
export async function runDecoderRows(
  ort: Ort,
  spec: DecoderSpec,
  cache: KvCache,
  input: DecoderInput,
  rows: number,
  options: SequenceRunOptions = {},
): Promise<StepRow[]> {
  return runInChunks(
    spec.maxRunPositions,
    input,
    rows,
    (chunk, wanted) => runOnce(ort, spec, cache, chunk, wanted, options),
    options.signal,
  );
}

/**
 * The CPU backends' attention without GroupQueryAttention (the two-part attention of the static decoder, the
 * Hub exports' plain attention) runs a longer run in chunks of this many positions: its scores
 * ([heads, S, past + S], through mask, softmax and the rest) then stay small enough to stay in cache; one run
 * of 866 positions prefilled ~20 % slower than chunks of 256 on the static decoder, and no faster on the
 * Hub's (bench/README.md). A stop also takes effect between chunks.
 */
export const PREFILL_CHUNK = 256;

/**
 * `run` over `input` in chunks of at most `limit` positions, one after another, keeping the rows of the
 * last `rows` positions: each chunk is asked for those it holds (at least one, since a decoder run always
 * computes some). An aborted `signal` stops it before the next chunk.
 */
export async function runInChunks<Row>(
  limit: number | undefined,
  input: DecoderInput,
  rows: number,
  run: (chunk: DecoderInput, rows: number) => Promise<Row[]>,
  signal?: AbortSignal,
): Promise<Row[]> {
  const length = inputLength(input);
  if (limit === undefined || length <= limit) return run(input, rows);
  const kept: Row[] = [];
  for (let start = 0; start < length; start += limit) {
    if (start > 0) throwIfAborted(signal);
    const end = Math.min(length, start + limit);
    const wanted = Math.max(1, Math.min(end - start, rows - (length - end)));
    const chunk = await run(sliceInput(input, start, end), wanted);
    if (rows - (length - end) > 0) kept.push(...chunk);
  }
  return kept;
}

/**
 * A merged decoder run's feeds for `input` after `past` positions, all but the past keys and values, and
 * the tensors made for it (the caller disposes them after the run).
 */
export function stepFeeds(
  ort: Ort,
  spec: DecoderSpec,
  input: DecoderInput,
  past: number,
  rows: number,
): { feeds: Record<string, OrtTensor>; created: OrtTensor[] } {
  const length = inputLength(input);
  const total = past + length;
  const feeds: Record<string, OrtTensor> = {};
  if (input.kind === 'embeds') {
    feeds.inputs_embeds = createFloatTensor(ort, spec.embedsType, input.data, [1, length, input.hidden]);
  } else if (input.kind === 'device') {
    feeds.inputs_embeds = input.tensor;
  } else {
    feeds.input_ids = int64Tensor(ort, input.ids, [1, length]);
  }
  feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
  if (spec.hasPositionIds) {
    feeds.position_ids = int64Tensor(
      ort,
      Array.from({ length }, (_, i) => past + i),
      [1, length],
    );
  }
  if (spec.hasNumLogitsToKeep)
    feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(rows)), []);
  if (spec.hasUseCacheBranch)
    feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
  return { feeds, created: Object.values(feeds) };
}

async function runOnce(
  ort: Ort,
  spec: DecoderSpec,
  cache: KvCache,
  input: DecoderInput,
  rows: number,
  { times, tokensOnly = false }: SequenceRunOptions,
): Promise<StepRow[]> {
  const past = cache.length;
  const total = past + inputLength(input);
  const pastFeeds = cache.feeds();
  const { feeds: step, created } = stepFeeds(ort, spec, input, past, rows);
  const feeds = { ...pastFeeds, ...step };
  // An empty cache's zero-length tensors are made for this run only.
  if (past === 0) created.push(...Object.values(pastFeeds));
  // Outputs given at load (logits-outputs-graph.ts) let a greedy run read only its positions' argmax, and
  // a sampled one-position run the last row alone; the rest stays in GPU memory.
  const given = spec.logitsOutputs;
  const wanted = tokensOnly && given?.argmax ? ARGMAX : rows === 1 && given?.lastRow ? LAST_LOGITS : 'logits';

  let outputs: Record<string, OrtTensor>;
  try {
    outputs = await timed(times, 'runMs', () => spec.session.run(feeds));
  } finally {
    for (const tensor of created) tensor.dispose();
  }
  const out = outputs[wanted];
  try {
    if (!out) throw new Error(`${spec.file} returned no ${wanted}.`);
    return await timed(times, 'readMs', async () =>
      wanted === ARGMAX ? lastTokens(out, rows) : lastRows(out, rows),
    );
  } finally {
    for (const [name, tensor] of Object.entries(outputs)) if (!name.startsWith('present.')) tensor.dispose();
    cache.replace(outputs, total);
  }
}

/** The logits of the last `rows` positions, copied out so the output tensor can be freed. */
export async function lastRows(logits: OrtTensor, rows: number): Promise<Float32Array[]> {
  const vocab = logits.dims[logits.dims.length - 1] ?? 0;
  const data = logits.location === 'cpu' ? logits.data : await logits.getData();
  const start = data.length - rows * vocab;
  if (start < 0) throw new Error(`The decoder returned fewer than ${rows} positions of logits.`);
  const row = (i: number): [number, number] => [start + i * vocab, start + (i + 1) * vocab];
  if (data instanceof Float32Array) return Array.from({ length: rows }, (_, i) => data.slice(...row(i)));
  if (data instanceof Uint16Array)
    return Array.from({ length: rows }, (_, i) => float16ToFloat32(data.subarray(...row(i))));
  throw new Error(`Logits of type ${logits.type} are not supported.`);
}

/** The argmax of each of the last `rows` positions. */
async function lastTokens(tokens: OrtTensor, rows: number): Promise<number[]> {
  const data = tokens.location === 'cpu' ? tokens.data : await tokens.getData();
  if (!(data instanceof BigInt64Array) || data.length < rows)
    throw new Error(`The decoder returned fewer than ${rows} positions of tokens.`);
  return Array.from(data.subarray(data.length - rows), Number);
}
