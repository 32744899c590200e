/**
 * Scoring for `glimpse eval`: an answer is right when its words appear, in order and whole, in the reply
 * (exact-word), or — for a multiple-choice item — when the choice the reply names first is the answer.
 * Then accuracy per question kind and agreement between the dtypes that answered the same items.
 */

/** Lower-case words and numbers; punctuation and spacing do not count. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Where `phrase` first occurs as whole words in `words`, or -1. */
function indexOfWords(words: readonly string[], phrase: readonly string[]): number {
  if (phrase.length === 0) return -1;
  for (let i = 0; i + phrase.length <= words.length; i++) {
    if (phrase.every((word, j) => words[i + j] === word)) return i;
  }
  return -1;
}

export interface ScoredItem {
  readonly correct: boolean;
  /** For multiple choice: the choice the reply named first, if any. */
  readonly picked?: string;
}

export function scoreReply(reply: string, answer: string, choices?: readonly string[]): ScoredItem {
  const words = wordsOf(reply);
  if (choices === undefined) return { correct: indexOfWords(words, wordsOf(answer)) >= 0 };
  let picked: string | undefined;
  let first = Number.POSITIVE_INFINITY;
  for (const choice of choices) {
    const at = indexOfWords(words, wordsOf(choice));
    if (at >= 0 && at < first) {
      first = at;
      picked = choice;
    }
  }
  const correct = picked !== undefined && wordsOf(picked).join(' ') === wordsOf(answer).join(' ');
  return picked === undefined ? { correct } : { correct, picked };
}

export interface Tally {
  readonly correct: number;
  readonly total: number;
}

export interface Accuracy {
  readonly byKind: Readonly<Record<string, Tally>>;
  readonly overall: Tally;
}

export function accuracyOf(
  results: readonly { readonly kind: string; readonly correct: boolean }[],
): Accuracy {
  const byKind: Record<string, { correct: number; total: number }> = {};
  for (const { kind, correct } of results) {
    const tally = byKind[kind] ?? { correct: 0, total: 0 };
    tally.total++;
    if (correct) tally.correct++;
    byKind[kind] = tally;
  }
  const correct = results.filter((r) => r.correct).length;
  return { byKind, overall: { correct, total: results.length } };
}

export interface Agreement {
  /** Items whose replies are the same words. */
  readonly sameReply: Tally;
  /** Items both dtypes got right, or both wrong. */
  readonly sameVerdict: Tally;
}

export function agreementOf(
  a: readonly { readonly reply: string; readonly correct: boolean }[],
  b: readonly { readonly reply: string; readonly correct: boolean }[],
): Agreement {
  const pairs = a.map((item, i) => [item, b[i]] as const).filter((pair) => pair[1] !== undefined);
  const sameReply = pairs.filter(
    ([x, y]) => wordsOf(x.reply).join(' ') === wordsOf(y?.reply ?? '').join(' '),
  );
  const sameVerdict = pairs.filter(([x, y]) => x.correct === y?.correct);
  return {
    sameReply: { correct: sameReply.length, total: pairs.length },
    sameVerdict: { correct: sameVerdict.length, total: pairs.length },
  };
}

export function percent(tally: Tally): string {
  return tally.total === 0 ? '–' : `${((100 * tally.correct) / tally.total).toFixed(1)}%`;
}
