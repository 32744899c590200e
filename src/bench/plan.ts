/** What every system is asked to do: the same image, the same questions, the same token budget, greedy. */

export interface BenchImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes per pixel (Glimpse's input). */
  readonly rgba: Uint8Array;
  /** RGB, 3 bytes per pixel (transformers.js' RawImage). */
  readonly rgb: Uint8Array;
}

export interface BenchPlan {
  /** Fresh conversations asking the first question; their medians are the per-run figures. */
  readonly runs: number;
  readonly maxNewTokens: number;
  /** Turns of the one multi-turn conversation (turn 1 carries the image). */
  readonly turns: number;
  readonly maxNewTokensPerTurn: number;
  /** Glimpse's GenerateOptions.draftTokens; undefined leaves its backend default. */
  readonly draftTokens?: number;
}

export const QUESTIONS = [
  'What is in the picture?',
  'What colours stand out?',
  'Is it day or night?',
  'What might happen next?',
  'Describe it in one sentence.',
] as const;

export function question(turn: number): string {
  return QUESTIONS[turn % QUESTIONS.length] ?? QUESTIONS[0];
}

/** The image at the model's input size, so that no resampler takes part in the comparison. */
export function rgbFromRgba(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i] ?? 0;
    rgb[j + 1] = rgba[i + 1] ?? 0;
    rgb[j + 2] = rgba[i + 2] ?? 0;
  }
  return rgb;
}
