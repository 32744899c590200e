/**
 * Figures of an estimate, rounded to what the cost model can tell (a factor of about two: bench/README.md),
 * so that "about 40 s" never reads as a promise of 38.6.
 */

/** One significant figure: 38.6 → 40, 0.87 → 0.9, 127 → 100. */
function oneFigure(value: number): number {
  return Number(value.toPrecision(1));
}

/** "about 40 s", or in minutes from two minutes on: "about 3 min". */
export function roughSeconds(seconds: number): string {
  if (seconds >= 120) return `about ${oneFigure(seconds / 60)} min`;
  return `about ${Math.max(1, oneFigure(seconds))} s`;
}

/** "about 0.9 tokens/s", "about 1 token/s", "about 20 tokens/s". */
export function roughTokenRate(perSecond: number): string {
  const rate = oneFigure(perSecond);
  return `about ${rate} ${rate === 1 ? 'token' : 'tokens'}/s`;
}
