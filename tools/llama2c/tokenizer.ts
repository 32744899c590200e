/**
 * llama2.c's tokenizer file (tok512.bin): int32 max_token_length, then per token a float32 score, an
 * int32 byte length and the piece's UTF-8 bytes. The export writes SentencePiece's "▁" as a plain space
 * and BOS/EOS as "\n<s>\n" / "\n</s>\n" (for printing); `pieces` undoes the latter.
 */

export interface Llama2cVocabulary {
  readonly maxTokenLength: number;
  /** Piece text with spaces as spaces, e.g. " the"; ids 3..258 are the byte tokens "<0x00>".."<0xFF>". */
  readonly pieces: readonly string[];
  readonly scores: readonly number[];
}

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const FIRST_BYTE_ID = 3;

const SPECIAL_PIECES: ReadonlyMap<number, string> = new Map([
  [UNK_ID, '<unk>'],
  [BOS_ID, '<s>'],
  [EOS_ID, '</s>'],
]);

export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): Llama2cVocabulary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const maxTokenLength = view.getInt32(0, true);
  const pieces: string[] = [];
  const scores: number[] = [];
  let at = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (at + 8 > bytes.byteLength) throw new Error(`tokenizer file ends after ${id} of ${vocabSize} tokens`);
    scores.push(view.getFloat32(at, true));
    const length = view.getInt32(at + 4, true);
    at += 8;
    const text = decoder.decode(bytes.subarray(at, at + length));
    at += length;
    pieces.push(SPECIAL_PIECES.get(id) ?? text);
  }
  return { maxTokenLength, pieces, scores };
}

/** The byte a byte-fallback piece such as "<0x0A>" stands for, or undefined for any other piece. */
export function byteOfPiece(piece: string): number | undefined {
  const match = /^<0x([0-9A-F]{2})>$/.exec(piece);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}
