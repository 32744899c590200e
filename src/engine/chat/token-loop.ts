/**
 * Sampling token after token from the decoder, streaming text deltas, until EOS, a stop string, the token
 * budget or an abort. Progress lives in a `LoopState` the caller owns, so that a consumer who stops
 * iterating midway still leaves a consistent record of what was generated and what the KV cache holds.
 */
import type { Sampler } from '../sampler/sampler';
import { StopStringMatcher } from '../text/stop-strings';
import type { FinishReason, GenerateEvent } from '../types';

export interface Detokenizer {
  push(id: number): string;
  flush(): string;
}

export interface LoopParams {
  readonly sampler: Sampler;
  readonly detokenizer: Detokenizer;
  readonly eosTokenIds: ReadonlySet<number>;
  readonly stopStrings: readonly string[];
  readonly maxNewTokens: number;
  readonly signal: AbortSignal | undefined;
  /** Ids before the answer, for the repetition penalty. */
  readonly context: readonly number[];
  /** Feeds one token to the decoder and returns the next logits. */
  readonly step: (id: number) => Promise<Float32Array>;
}

export interface LoopState {
  /** The answer's tokens (EOS excluded). */
  readonly tokenIds: number[];
  /** Tokens the decoder has consumed, i.e. that the KV cache now holds beyond the prompt. */
  readonly fed: number[];
  text: string;
  reason: FinishReason | undefined;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
}

export function newLoopState(): LoopState {
  return {
    tokenIds: [],
    fed: [],
    text: '',
    reason: undefined,
    firstTokenAt: undefined,
    lastTokenAt: undefined,
  };
}

type Delta = Extract<GenerateEvent, { type: 'delta' }>;

export async function* decodeTokens(
  firstLogits: Float32Array,
  params: LoopParams,
  state: LoopState,
): AsyncGenerator<Delta> {
  const history = [...params.context];
  const stop = new StopStringMatcher(params.stopStrings);
  let pendingIds: number[] = [];
  let logits = firstLogits;
  for (;;) {
    if (params.signal?.aborted) {
      state.reason = 'aborted';
      break;
    }
    const id = params.sampler.next(logits, history);
    state.lastTokenAt = performance.now();
    state.firstTokenAt ??= state.lastTokenAt;
    if (params.eosTokenIds.has(id)) {
      state.reason = 'eos';
      break;
    }
    state.tokenIds.push(id);
    history.push(id);
    pendingIds.push(id);
    const settled = stop.push(params.detokenizer.push(id));
    if (settled.text) {
      state.text += settled.text;
      yield { type: 'delta', text: settled.text, tokenIds: pendingIds };
      pendingIds = [];
    }
    if (settled.stopped) {
      state.reason = 'stop-string';
      return;
    }
    if (state.tokenIds.length >= params.maxNewTokens) {
      state.reason = 'length';
      break;
    }
    if (params.signal?.aborted) {
      state.reason = 'aborted';
      break;
    }
    logits = await params.step(id);
    state.fed.push(id);
  }
  const tail = stop.push(params.detokenizer.flush());
  if (tail.stopped) state.reason = 'stop-string';
  const text = tail.text + (tail.stopped ? '' : stop.flush());
  if (text) {
    state.text += text;
    yield { type: 'delta', text, tokenIds: pendingIds };
  }
}

export interface TurnFacts {
  readonly startedAt: number;
  readonly promptTokens: number;
  readonly prefillTokens: number;
  readonly visionMs: number;
  readonly prefillMs: number;
  readonly contextReset: boolean;
}

/** The turn's closing event, with its counts and timings. */
export function doneEvent(state: LoopState, turn: TurnFacts): GenerateEvent {
  const endedAt = performance.now();
  const decodeSeconds = ((state.lastTokenAt ?? endedAt) - (state.firstTokenAt ?? endedAt)) / 1000;
  return {
    type: 'done',
    text: state.text,
    tokenIds: state.tokenIds,
    reason: state.reason ?? 'aborted',
    stats: {
      promptTokens: turn.promptTokens,
      prefillTokens: turn.prefillTokens,
      generatedTokens: state.tokenIds.length,
      visionMs: turn.visionMs,
      prefillMs: turn.prefillMs,
      timeToFirstTokenMs: (state.firstTokenAt ?? endedAt) - turn.startedAt,
      // Every token after the first took one decoder step.
      decodeTokensPerSecond: decodeSeconds > 0 ? state.fed.length / decodeSeconds : 0,
      totalMs: endedAt - turn.startedAt,
      ...(turn.contextReset ? { contextReset: true } : {}),
    },
  };
}
