/**
 * The benchmark's result format: what one system measured on one backend, and the comparison of Glimpse
 * with transformers.js per backend. Written to bench/results/<name>.json and printed with `--json`.
 */
import type { DecodeStepStats } from '../engine/index';
import type { DecodeCeiling } from './ceiling';
import { advantage, median, ratio } from './stats';

export type SystemName = 'glimpse' | 'transformers.js';
export type BenchBackend = 'wasm' | 'cpu' | 'webgpu';

/** One answer to the same question about the same image, in a fresh conversation. */
export interface RunMeasure {
  readonly promptTokens: number;
  readonly generatedTokens: number;
  readonly visionMs: number | undefined;
  readonly prefillMs: number | undefined;
  readonly prefillTokensPerSecond: number | undefined;
  readonly timeToFirstTokenMs: number | undefined;
  readonly decodeTokensPerSecond: number | undefined;
  /** Glimpse's draft tokens (prompt lookup): how many were fed and how many came true. */
  readonly drafts?: { readonly fed: number; readonly accepted: number };
  /** Glimpse's mean milliseconds per decode step, by where they went. */
  readonly decodeSteps?: DecodeStepStats;
  /** Glimpse's decode steps replayed a captured graph (TurnStats.graphCapture). */
  readonly graphCapture?: boolean;
}

/**
 * The runs' question in a fresh conversation whose image was read ahead (Conversation.prepare): how long
 * the reading took, and the first token's time from the send, which then prefills only the question.
 */
export interface ReadAhead {
  readonly readMs: number;
  readonly timeToFirstTokenMs: number | undefined;
}

export interface MemoryPeaks {
  /** Process resident set size (Node). */
  readonly rssBytes?: number;
  /** JS heap in use (Node: heapUsed; Chromium: performance.memory.usedJSHeapSize). */
  readonly jsHeapBytes?: number;
  /** Array buffers outside the JS heap, WebAssembly memory included (Node). */
  readonly arrayBufferBytes?: number;
  /** Chromium's measureUserAgentSpecificMemory, where the page is cross-origin isolated. */
  readonly userAgentBytes?: number;
}

export interface LongTasks {
  readonly count: number;
  readonly maxMs: number;
}

export interface SystemResult {
  readonly system: SystemName;
  readonly backend: BenchBackend;
  /** Which ONNX Runtime package and version ran this system, e.g. 'onnxruntime-web 1.30.0'. */
  readonly runtime: string;
  readonly environment: string;
  /** Files per part, as the system chose them. */
  readonly files: Readonly<Record<string, string>>;
  readonly loadMs: number;
  /** The part of loadMs spent on warm-up runs, where the system does any. */
  readonly warmupMs: number | undefined;
  /** A second load of the same files from the browser's storage (Chromium only). */
  readonly loadFromStorageMs?: number;
  readonly runs: readonly RunMeasure[];
  /** Time to first token of turns 1 to 5 of one conversation (turn 1 carries the image). */
  readonly turnTimeToFirstTokenMs: readonly (number | undefined)[];
  /** Glimpse: the photo question sent after its image was read ahead, as the app does while one types. */
  readonly readAhead?: ReadAhead;
  readonly memory: MemoryPeaks;
  /** Main-thread long tasks while generating in a worker (Chromium only). */
  readonly longTasks?: LongTasks;
  /** The fastest decode the machine's read bandwidth allows with this system's decoder file (Node). */
  readonly ceiling?: DecodeCeiling;
}

export interface SystemFailure {
  readonly system: SystemName;
  readonly backend: BenchBackend;
  readonly error: string;
}

/** The median of each per-run figure. */
export interface Summary {
  readonly visionMs: number | undefined;
  readonly prefillTokensPerSecond: number | undefined;
  readonly timeToFirstTokenMs: number | undefined;
  readonly decodeTokensPerSecond: number | undefined;
}

export function summarize(result: SystemResult): Summary {
  const pick = (key: keyof Summary): number | undefined =>
    median(result.runs.flatMap((run) => (run[key] === undefined ? [] : [run[key]])));
  return {
    visionMs: pick('visionMs'),
    prefillTokensPerSecond: pick('prefillTokensPerSecond'),
    timeToFirstTokenMs: pick('timeToFirstTokenMs'),
    decodeTokensPerSecond: pick('decodeTokensPerSecond'),
  };
}

/** Raw ratios Glimpse / transformers.js of one backend (for ms figures, below 1 means Glimpse is faster). */
export interface Ratios {
  readonly loadMs: number | undefined;
  readonly visionMs: number | undefined;
  readonly prefillTokensPerSecond: number | undefined;
  readonly timeToFirstTokenMs: number | undefined;
  readonly decodeTokensPerSecond: number | undefined;
  readonly turn5TimeToFirstTokenMs: number | undefined;
}

export interface Comparison {
  readonly backend: BenchBackend;
  readonly ratios: Ratios;
  /** The same figures oriented so that above 1 means Glimpse is better; these are what the chart shows. */
  readonly advantage: Ratios;
}

export interface MetricSpec {
  readonly key: keyof Ratios;
  readonly label: string;
  readonly higherIsBetter: boolean;
}

export const METRICS: readonly MetricSpec[] = [
  { key: 'loadMs', label: 'load', higherIsBetter: false },
  { key: 'visionMs', label: 'vision encode', higherIsBetter: false },
  { key: 'prefillTokensPerSecond', label: 'prefill tok/s', higherIsBetter: true },
  { key: 'timeToFirstTokenMs', label: 'first token', higherIsBetter: false },
  { key: 'decodeTokensPerSecond', label: 'decode tok/s', higherIsBetter: true },
  { key: 'turn5TimeToFirstTokenMs', label: 'turn-5 first token', higherIsBetter: false },
];

function figures(result: SystemResult): Record<keyof Ratios, number | undefined> {
  return {
    ...summarize(result),
    loadMs: result.loadMs,
    turn5TimeToFirstTokenMs: result.turnTimeToFirstTokenMs[4],
  };
}

function ratiosFrom(value: (metric: MetricSpec) => number | undefined): Ratios {
  const out: Record<keyof Ratios, number | undefined> = {
    loadMs: undefined,
    visionMs: undefined,
    prefillTokensPerSecond: undefined,
    timeToFirstTokenMs: undefined,
    decodeTokensPerSecond: undefined,
    turn5TimeToFirstTokenMs: undefined,
  };
  for (const metric of METRICS) out[metric.key] = value(metric);
  return out;
}

/** One comparison per backend that both systems ran. */
export function compare(results: readonly SystemResult[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const mine of results.filter((r) => r.system === 'glimpse')) {
    const theirs = results.find((r) => r.system === 'transformers.js' && r.backend === mine.backend);
    if (!theirs) continue;
    const a = figures(mine);
    const b = figures(theirs);
    const build = (oriented: boolean): Ratios =>
      ratiosFrom((metric) =>
        oriented
          ? advantage(a[metric.key], b[metric.key], metric.higherIsBetter)
          : ratio(a[metric.key], b[metric.key]),
      );
    comparisons.push({ backend: mine.backend, ratios: build(false), advantage: build(true) });
  }
  return comparisons;
}

export interface BenchReport {
  readonly name: string;
  readonly date: string;
  readonly machine: string;
  readonly model: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly results: readonly SystemResult[];
  readonly failures: readonly SystemFailure[];
  readonly comparisons: readonly Comparison[];
}

/** A check of a result that crossed a process or page boundary as JSON. */
export function isSystemResult(value: unknown): value is SystemResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'system' in value &&
    'backend' in value &&
    'runs' in value &&
    Array.isArray(value.runs) &&
    'turnTimeToFirstTokenMs' in value &&
    Array.isArray(value.turnTimeToFirstTokenMs) &&
    'loadMs' in value &&
    typeof value.loadMs === 'number'
  );
}
