/**
 * A Hugging Face tokenizer.json (and tokenizer_config.json) that encodes and decodes exactly like
 * llama2.c's SentencePiece BPE: prefix one space, start from the characters (bytes for characters
 * outside the vocabulary), repeatedly merge the adjacent pair whose merged piece scores highest.
 * That is a BPE model with byte fallback whose merges are every split of every piece into two pieces,
 * ranked by the merged piece's score.
 */
import { BOS_ID, byteOfPiece, EOS_ID, type Llama2cVocabulary, UNK_ID } from '../llama2c/tokenizer';

const SPACE_MARK = '\u2581'; // "▁", SentencePiece's visible space

export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

export interface TokenizerJsonOptions {
  /** Tokens after the vocabulary (e.g. `<image>`), matched whole in the input before BPE runs. */
  readonly addedTokens?: readonly AddedToken[];
}

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

function specialPieces(vocab: Llama2cVocabulary): { unk: string; bos: string; eos: string } {
  const at = (id: number): string => {
    const piece = vocab.pieces[id];
    if (piece === undefined) throw new Error(`vocabulary has no token ${id}`);
    return piece;
  };
  return { unk: at(UNK_ID), bos: at(BOS_ID), eos: at(EOS_ID) };
}

/** The three SentencePiece control tokens, first in every llama2.c vocabulary. */
function controlTokens(vocab: Llama2cVocabulary): AddedToken[] {
  const { unk, bos, eos } = specialPieces(vocab);
  return [
    { id: UNK_ID, content: unk, special: true },
    { id: BOS_ID, content: bos, special: true },
    { id: EOS_ID, content: eos, special: true },
  ];
}

/** An added token's fields as tokenizer files spell them, without its id. */
function addedTokenFields(token: AddedToken): JsonObject {
  return {
    content: token.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: token.special,
  };
}

/**
 * Every split of every mergeable piece into two vocabulary pieces, highest merged score first. Both
 * rules then pick the same pair: llama2.c takes the best score and, on a tie, the leftmost pair; BPE takes
 * the lowest rank and, on a tie, the leftmost pair. They could differ only for a sequence [A, B, C] with
 * A+B = B+C and A ≠ B (equal scores, distinct ranks); the stories260K vocabulary has no such piece (its
 * only candidates, "ll", "oo" and "pp", are one merge at two positions).
 */
export function mergesByScore(vocab: Llama2cVocabulary): [string, string][] {
  const known = new Set(vocab.pieces);
  const candidates: { score: number; id: number; position: number; pair: [string, string] }[] = [];
  vocab.pieces.forEach((piece, id) => {
    if (id <= EOS_ID || byteOfPiece(piece) !== undefined) return;
    const chars = Array.from(piece);
    for (let position = 1; position < chars.length; position++) {
      const left = chars.slice(0, position).join('');
      const right = chars.slice(position).join('');
      if (known.has(left) && known.has(right)) {
        candidates.push({ score: vocab.scores[id] ?? 0, id, position, pair: [left, right] });
      }
    }
  });
  candidates.sort((a, b) => b.score - a.score || a.id - b.id || a.position - b.position);
  const marked = (text: string): string => text.replaceAll(' ', SPACE_MARK);
  return candidates.map(({ pair: [left, right] }) => [marked(left), marked(right)]);
}

export function toTokenizerJson(vocab: Llama2cVocabulary, options: TokenizerJsonOptions = {}): JsonObject {
  const { unk, bos } = specialPieces(vocab);
  const added = options.addedTokens ?? [];
  const modelVocab: Record<string, number> = {};
  vocab.pieces.forEach((piece, id) => {
    modelVocab[piece.replaceAll(' ', SPACE_MARK)] = id;
  });
  for (const token of added) modelVocab[token.content] = token.id;
  const replace = (from: string, to: string): JsonValue => ({
    type: 'Replace',
    pattern: { String: from },
    content: to,
  });
  const bosTemplate = { SpecialToken: { id: bos, type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...controlTokens(vocab), ...added].map((token) => ({
      id: token.id,
      ...addedTokenFields(token),
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'Prepend', prepend: SPACE_MARK }, replace(' ', SPACE_MARK)],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bosTemplate, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        bosTemplate,
        { Sequence: { id: 'A', type_id: 0 } },
        bosTemplate,
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [BOS_ID], tokens: [bos] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        replace(SPACE_MARK, ' '),
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: modelVocab,
      merges: mergesByScore(vocab),
    },
  };
}

export interface TokenizerConfigOptions {
  readonly modelMaxLength: number;
  readonly addedTokens?: readonly AddedToken[];
  readonly chatTemplate?: string;
}

/**
 * tokenizer_config.json. LlamaTokenizer in transformers.js 4 adds nothing to tokenizer.json's pipeline
 * (no legacy prefix-space handling), so the encoding stays the one above; clean-up of spaces before
 * punctuation stays off, because llama2.c decodes pieces verbatim.
 */
export function toTokenizerConfig(vocab: Llama2cVocabulary, options: TokenizerConfigOptions): JsonObject {
  const { unk, bos, eos } = specialPieces(vocab);
  const decoder: Record<string, JsonValue> = {};
  for (const token of [...controlTokens(vocab), ...(options.addedTokens ?? [])]) {
    decoder[String(token.id)] = addedTokenFields(token);
  }
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: bos,
    ...(options.chatTemplate === undefined ? {} : { chat_template: options.chatTemplate }),
    clean_up_tokenization_spaces: false,
    eos_token: eos,
    legacy: false,
    model_max_length: options.modelMaxLength,
    pad_token: null,
    padding_side: 'left',
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizer',
    unk_token: unk,
  };
}
