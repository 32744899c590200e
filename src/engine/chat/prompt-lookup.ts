/**
 * Prompt lookup decoding: draft tokens copied from earlier in the sequence, where its last few tokens
 * occurred before. Answers repeat the question's words, names from earlier turns and their own phrases,
 * so the next tokens are often a copy; the decoder checks a whole draft in one run, which costs about as
 * much as one token where a step is bound by dispatch or weight reads rather than arithmetic (WebGPU).
 * The same method as transformers' `prompt_lookup_num_tokens` (Saxena, 2023).
 */

/**
 * The n-gram sizes, in tokens, matched against the end of the sequence. A single token recurs too often
 * to predict what follows it: on tiny-llava's answers, drafts after one-token matches came true a third as
 * often as after two-token ones, and each miss costs a KV cache cut.
 */
const MAX_NGRAM = 3;
const MIN_NGRAM = 2;

/**
 * Up to `maxTokens` tokens that followed the most recent earlier occurrence of the sequence's last
 * n tokens (n from MAX_NGRAM down to MIN_NGRAM); none when no such suffix occurred before.
 */
export function lookupDraft(sequence: readonly number[], maxTokens: number): number[] {
  if (maxTokens <= 0) return [];
  const end = sequence.length;
  for (let n = Math.min(MAX_NGRAM, end - 1); n >= MIN_NGRAM; n--) {
    for (let start = end - n - 1; start >= 0; start--) {
      let k = 0;
      while (k < n && sequence[start + k] === sequence[end - n + k]) k++;
      if (k === n) return sequence.slice(start + n, Math.min(start + n + maxTokens, end));
    }
  }
  return [];
}
