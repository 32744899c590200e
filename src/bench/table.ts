/** The plain-text table that `glimpse bench` and `npm run bench` print. */
import { type BenchReport, METRICS, type SystemResult, summarize } from './report';
import { median } from './stats';

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? '–' : value.toFixed(digits);
}

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? '–' : `${Math.round(bytes / 2 ** 20)}`;
}

function row(result: SystemResult): string[] {
  const summary = summarize(result);
  const memory = result.memory;
  return [
    result.system,
    result.backend,
    result.runtime,
    fixed(result.loadMs, 0),
    fixed(result.warmupMs, 0),
    fixed(result.loadFromStorageMs, 0),
    fixed(summary.visionMs, 1),
    fixed(summary.prefillTokensPerSecond, 1),
    fixed(summary.timeToFirstTokenMs, 1),
    fixed(summary.decodeTokensPerSecond, 1),
    fixed(result.ceiling?.tokensPerSecond, 1),
    ofCeiling(summary.decodeTokensPerSecond, result.ceiling?.tokensPerSecond),
    drafts(result),
    result.turnTimeToFirstTokenMs.map((ms) => fixed(ms, 0)).join('/'),
    result.readAhead
      ? `${fixed(result.readAhead.timeToFirstTokenMs, 0)} (read ${fixed(result.readAhead.readMs, 0)})`
      : '–',
    megabytes(memory.rssBytes ?? memory.userAgentBytes),
    megabytes(memory.jsHeapBytes),
    megabytes(memory.arrayBufferBytes),
    result.longTasks ? `${result.longTasks.count} (max ${fixed(result.longTasks.maxMs, 0)})` : '–',
  ];
}

function ofCeiling(decode: number | undefined, ceiling: number | undefined): string {
  return decode === undefined || ceiling === undefined ? '–' : `${((100 * decode) / ceiling).toFixed(1)}%`;
}

/** Draft tokens that came true over those fed, summed over the runs. */
function drafts(result: SystemResult): string {
  const fed = result.runs.reduce((sum, run) => sum + (run.drafts?.fed ?? 0), 0);
  const accepted = result.runs.reduce((sum, run) => sum + (run.drafts?.accepted ?? 0), 0);
  return fed === 0 ? '–' : `${accepted}/${fed}`;
}

const HEADER: string[] = [
  'system',
  'backend',
  'runtime',
  'load ms',
  'warm-up ms',
  'stored load ms',
  'vision ms',
  'prefill tok/s',
  'TTFT ms',
  'decode tok/s',
  'ceiling tok/s',
  'of ceiling',
  'drafts true/fed',
  'TTFT turns 1-5 ms',
  'TTFT read ahead ms',
  'RSS/UA MB',
  'heap MB',
  'buffers MB',
  'long tasks',
];

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows.reduce<number[]>(
    (acc, cells) => cells.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)),
    [],
  );
  return rows
    .map((cells) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const STEP_PARTS = ['runMs', 'readMs', 'embedMs', 'sampleMs', 'otherMs'] as const;

/** Glimpse's mean decode step by part (medians over the runs), where the results have them. */
function stepTable(results: readonly SystemResult[]): string[] {
  const rows = results.flatMap((result) => {
    const steps = result.runs.flatMap((run) => (run.decodeSteps ? [run.decodeSteps] : []));
    if (steps.length === 0) return [];
    const part = (key: (typeof STEP_PARTS)[number]) => fixed(median(steps.map((s) => s[key])), 2);
    // The share of steps that replayed a captured graph (the rest ran uncaptured: step-planner.ts).
    const replayed = fixed(median(steps.map((s) => (100 * s.replays) / s.steps)), 0);
    return [[`${result.system}, ${result.backend}`, ...STEP_PARTS.map(part), `${replayed} %`]];
  });
  if (rows.length === 0) return [];
  const header = ['ms per decode step', 'session run', 'read logits', 'embed', 'sampler', 'rest', 'replayed'];
  return ['', formatTable([header, ...rows])];
}

/** The header and one row per system, cell for cell. */
export function systemRows(results: readonly SystemResult[]): string[][] {
  return [HEADER, ...results.map(row)];
}

export function reportTable(report: BenchReport): string {
  const systems = formatTable(systemRows(report.results));
  const ratioRows = report.comparisons.map((c) => [
    c.backend,
    ...METRICS.map((metric) => fixed(c.ratios[metric.key], 2)),
  ]);
  const ratios = formatTable([['Glimpse / transformers.js', ...METRICS.map((m) => m.label)], ...ratioRows]);
  const failures = report.failures.map((f) => `FAILED ${f.system} on ${f.backend}: ${f.error}`);
  // One line per memory measured: one core for cpu and wasm, the GPU for webgpu.
  const ceilings = new Map(report.results.flatMap((r) => (r.ceiling ? [[r.ceiling.memory, r.ceiling]] : [])));
  const ceiling = [...ceilings.values()].map(
    (c) =>
      `Ceiling: read bandwidth ${(c.readBytesPerSecond / 1e9).toFixed(1)} GB/s (${c.memory}, measured) over ` +
      `${(c.weightBytes / 1e6).toFixed(0)} MB of decoder weights + ` +
      `${((c.kvBytesPerPosition * c.positions) / 1e6).toFixed(0)} MB of KV cache per step`,
  );
  return [
    systems,
    ...stepTable(report.results),
    ...(ceiling.length > 0 ? ['', ...ceiling] : []),
    '',
    ratios,
    ...failures,
  ].join('\n');
}
