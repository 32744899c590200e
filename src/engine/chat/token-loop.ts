/**
 * Sampling token after token from the decoder, streaming text deltas, until EOS, a stop string, the token
 * budget or an abort. Progress lives in a `LoopState` the caller owns, so that a consumer who stops
 * iterating midway still leaves a consistent record of what was generated and what the KV cache holds.
 */
import type { StepRow } from '../decoder/sequence';
import { newStepTimes, type StepTimes } from '../decoder/step-times';
import type { Sampler } from '../sampler/sampler';
import { StopStringMatcher } from '../text/stop-strings';
import type { DecodeStepStats, FinishReason, GenerateEvent } from '../types';
import { lookupDraft } from './prompt-lookup';

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
  /**
   * Feeds tokens to the decoder (the next one, then any draft tokens); returns the logits after each, or
   * the picked token where the sampler is argmaxOnly and the decoder computes the argmax itself. A step may
   * check only the first rows − 1 drafts (none, where checking them costs more than they are likely to save).
   */
  readonly step: (ids: readonly number[]) => Promise<StepRow[]>;
  /** Drops the last `count` positions from the KV cache: draft tokens that did not come true. */
  readonly rewind: (count: number) => Promise<void>;
  /** The most draft tokens fed with each step (prompt lookup); 0 decodes one token per step. */
  readonly draftTokens: number;
}

export interface LoopState {
  /** The answer's tokens (EOS excluded). */
  readonly tokenIds: number[];
  /** Tokens the decoder has consumed, i.e. that the KV cache now holds beyond the prompt. */
  readonly fed: number[];
  /** Draft tokens fed, how many of them the sampler then picked, and the decoder runs that carried any. */
  drafted: number;
  accepted: number;
  draftRuns: number;
  text: string;
  reason: FinishReason | undefined;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  /** Where the steps after the first token spent their time (the decoder's steps add theirs). */
  readonly times: StepTimes;
}

export function newLoopState(): LoopState {
  return {
    tokenIds: [],
    fed: [],
    drafted: 0,
    accepted: 0,
    draftRuns: 0,
    text: '',
    reason: undefined,
    firstTokenAt: undefined,
    lastTokenAt: undefined,
    times: newStepTimes(),
  };
}

type Delta = Extract<GenerateEvent, { type: 'delta' }>;

/**
 * Each token is sampled from the logits after the one before, exactly as one token per step would be
 * (same processors, same random draws), so a draft changes only how many tokens a decoder run confirms:
 * where the sampler picks the draft token, the logits after it are already there; where it picks
 * another, that token is the next one and the rest of the draft is cut from the KV cache.
 */
export async function* decodeTokens(
  firstLogits: StepRow,
  params: LoopParams,
  state: LoopState,
): AsyncGenerator<Delta> {
  const history = [...params.context];
  const stop = new StopStringMatcher(params.stopStrings);
  let pendingIds: number[] = [];
  let rows: StepRow[] = [firstLogits];
  // rows[i + 1] are the logits after draft token drafts[i]; `unconfirmed` of them are still in the KV cache.
  let drafts: number[] = [];
  let unconfirmed = 0;
  let stopped = false;
  try {
    decode: for (;;) {
      let next: number | undefined;
      for (const [i, logits] of rows.entries()) {
        if (params.signal?.aborted) {
          state.reason = 'aborted';
          break decode;
        }
        const sampleStart = performance.now();
        const id = typeof logits === 'number' ? logits : params.sampler.next(logits, history);
        state.lastTokenAt = performance.now();
        if (state.firstTokenAt !== undefined) state.times.sampleMs += state.lastTokenAt - sampleStart;
        state.firstTokenAt ??= state.lastTokenAt;
        if (params.eosTokenIds.has(id)) {
          state.reason = 'eos';
          break decode;
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
          stopped = true;
          break decode;
        }
        if (state.tokenIds.length >= params.maxNewTokens) {
          state.reason = 'length';
          break decode;
        }
        if (id !== drafts[i]) {
          next = id;
          break;
        }
        state.fed.push(id);
        state.accepted++;
        unconfirmed--;
      }
      if (next === undefined) throw new Error('unreachable: a step without a next token');
      if (unconfirmed > 0) await params.rewind(unconfirmed);
      unconfirmed = 0;
      if (params.signal?.aborted) {
        state.reason = 'aborted';
        break;
      }
      const room = params.maxNewTokens - state.tokenIds.length - 1;
      drafts = lookupDraft(history, Math.min(params.draftTokens, room));
      rows = await params.step([next, ...drafts]);
      drafts = drafts.slice(0, rows.length - 1);
      state.fed.push(next);
      state.drafted += drafts.length;
      if (drafts.length > 0) state.draftRuns++;
      unconfirmed = drafts.length;
    }
  } finally {
    if (unconfirmed > 0) await params.rewind(unconfirmed);
  }
  if (stopped) return;
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
  /** Whether the steps replayed a captured graph (static-turn.ts). */
  readonly graphCapture: boolean;
}

/** Mean milliseconds per step after the first token; the rest is the decode time no part accounts for. */
function stepStats(times: StepTimes, decodeMs: number): DecodeStepStats | undefined {
  const { steps, replays, embedMs, runMs, readMs, sampleMs } = times;
  if (steps === 0) return undefined;
  const otherMs = Math.max(0, decodeMs - embedMs - runMs - readMs - sampleMs);
  return {
    steps,
    replays,
    embedMs: embedMs / steps,
    runMs: runMs / steps,
    readMs: readMs / steps,
    sampleMs: sampleMs / steps,
    otherMs: otherMs / steps,
  };
}

/** The turn's closing event, with its counts and timings. */
export function doneEvent(state: LoopState, turn: TurnFacts): GenerateEvent {
  const endedAt = performance.now();
  const decodeMs = (state.lastTokenAt ?? endedAt) - (state.firstTokenAt ?? endedAt);
  const decodeSeconds = decodeMs / 1000;
  const steps = stepStats(state.times, decodeMs);
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
      // Every token after the first was fed to the decoder before the last one was sampled.
      decodeTokensPerSecond: decodeSeconds > 0 ? state.fed.length / decodeSeconds : 0,
      totalMs: endedAt - turn.startedAt,
      ...(steps ? { decodeSteps: steps } : {}),
      ...(state.drafted > 0
        ? { drafts: { fed: state.drafted, accepted: state.accepted, runs: state.draftRuns } }
        : {}),
      ...(turn.contextReset ? { contextReset: true } : {}),
      graphCapture: turn.graphCapture,
    },
  };
}
