/**
 * The evaluation file of `glimpse eval`: JSON Lines, one item a line —
 * `{image, question, answer}` (exact-word scoring) or `{image, question, choices, answer}` (multiple choice),
 * with an optional `kind` (the group its accuracy is reported under) and `before` (questions asked first in
 * the same conversation, answered by the model itself, for follow-ups). Image paths are relative to the file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface EvalItem {
  /** Absolute path of the image file. */
  readonly image: string;
  readonly question: string;
  readonly answer: string;
  readonly choices?: readonly string[];
  readonly kind: string;
  readonly before: readonly string[];
}

/** A malformed or unreadable evaluation file: the message names the file and line. */
export class EvalDataError extends Error {
  override readonly name = 'EvalDataError';
}

function invalid(file: string, line: number, reason: string): EvalDataError {
  return new EvalDataError(`${file}, line ${line}: ${reason}`);
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

export function parseEvalItems(text: string, file: string): EvalItem[] {
  const items: EvalItem[] = [];
  const base = dirname(resolve(file));
  for (const [index, raw] of text.split('\n').entries()) {
    const line = index + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalid(file, line, 'is not valid JSON.');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalid(file, line, 'is not a JSON object.');
    const record = value as Record<string, unknown>;
    for (const key of ['image', 'question', 'answer'] as const) {
      if (typeof record[key] !== 'string' || record[key] === '')
        throw invalid(file, line, `needs "${key}" as a non-empty string.`);
    }
    const { image, question, answer, choices, kind, before } = record as Record<string, unknown> & {
      image: string;
      question: string;
      answer: string;
    };
    if (choices !== undefined && (!isStringList(choices) || choices.length < 2 || !choices.includes(answer)))
      throw invalid(file, line, '"choices" must list at least two strings, the answer among them.');
    if (kind !== undefined && typeof kind !== 'string') throw invalid(file, line, '"kind" must be a string.');
    if (before !== undefined && !isStringList(before))
      throw invalid(file, line, '"before" must be a list of questions.');
    items.push({
      image: resolve(base, image),
      question,
      answer,
      ...(choices === undefined ? {} : { choices }),
      kind: kind ?? (choices === undefined ? 'exact' : 'choice'),
      before: before ?? [],
    });
  }
  if (items.length === 0) throw new EvalDataError(`${file} holds no items.`);
  return items;
}

export async function readEvalItems(file: string): Promise<EvalItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new EvalDataError(`Cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  return parseEvalItems(text, file);
}
