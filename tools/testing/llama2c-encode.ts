/**
 * Test helper: llama2.c's own encoding and decoding rule (run.c `encode` / `decode`), written without
 * any Hugging Face code so the generated tokenizer.json can be checked against it.
 */
import { BOS_ID, byteOfPiece, FIRST_BYTE_ID, type Llama2cVocabulary } from '../llama2c/tokenizer';

/** Ids of `text` with BOS first: dummy prefix space, characters (UTF-8 bytes as fallback), best-score merges. */
export function llama2cEncode(vocab: Llama2cVocabulary, text: string): number[] {
  const ids = new Map(vocab.pieces.map((piece, id) => [piece, id]));
  const tokens: number[] = [];
  for (const char of text.length > 0 ? ` ${text}` : '') {
    const id = ids.get(char);
    if (id !== undefined) tokens.push(id);
    else for (const byte of new TextEncoder().encode(char)) tokens.push(byte + FIRST_BYTE_ID);
  }
  for (;;) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestId = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const merged = ids.get(`${vocab.pieces[tokens[i] ?? 0]}${vocab.pieces[tokens[i + 1] ?? 0]}`);
      const score = merged === undefined ? undefined : vocab.scores[merged];
      if (merged !== undefined && score !== undefined && score > bestScore) {
        best = i;
        bestScore = score;
        bestId = merged;
      }
    }
    if (best < 0) break;
    tokens.splice(best, 2, bestId);
  }
  return [BOS_ID, ...tokens];
}

/** Text of generated ids: byte pieces as raw bytes, the leading space after BOS dropped. */
export function llama2cDecode(vocab: Llama2cVocabulary, ids: readonly number[], previous = BOS_ID): string {
  const bytes: number[] = [];
  let prev = previous;
  for (const id of ids) {
    let piece = vocab.pieces[id] ?? '';
    if (prev === BOS_ID && piece.startsWith(' ')) piece = piece.slice(1);
    const byte = byteOfPiece(piece);
    if (byte !== undefined) bytes.push(byte);
    else bytes.push(...new TextEncoder().encode(piece));
    prev = id;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
