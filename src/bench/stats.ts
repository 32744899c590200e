/** Summary statistics of repeated measurements, and the Glimpse / transformers.js ratios built from them. */

/** The median of the finite values, or undefined when there are none. */
export function median(values: readonly number[]): number | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  const lower = sorted[middle - 1];
  if (upper === undefined) return undefined;
  return sorted.length % 2 === 1 || lower === undefined ? upper : (lower + upper) / 2;
}

/** Events per second over a span in milliseconds; undefined when the span is empty. */
export function perSecond(count: number, ms: number): number | undefined {
  return count > 0 && ms > 0 ? (count * 1000) / ms : undefined;
}

/**
 * Decode rate from the times at which tokens arrived: the first token closes the prefill, so the rate
 * counts the tokens after it over the time after it.
 */
export function decodeRate(tokenTimesMs: readonly number[]): number | undefined {
  const first = tokenTimesMs[0];
  const last = tokenTimesMs.at(-1);
  if (first === undefined || last === undefined) return undefined;
  return perSecond(tokenTimesMs.length - 1, last - first);
}

/** Glimpse's figure over transformers.js'; undefined unless both are positive numbers. */
export function ratio(glimpse: number | undefined, transformers: number | undefined): number | undefined {
  if (glimpse === undefined || transformers === undefined) return undefined;
  if (!(glimpse > 0) || !(transformers > 0)) return undefined;
  return glimpse / transformers;
}

/**
 * A ratio where above 1 always means Glimpse is better: figures where higher is better (tokens/s) are
 * divided as they are, figures where lower is better (ms) are inverted.
 */
export function advantage(
  glimpse: number | undefined,
  transformers: number | undefined,
  higherIsBetter: boolean,
): number | undefined {
  return higherIsBetter ? ratio(glimpse, transformers) : ratio(transformers, glimpse);
}
