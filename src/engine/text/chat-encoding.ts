/**
 * A conversation's token ids, its messages' text taken literally. A tokenizer matches its added tokens
 * anywhere in a string, so a question quoting markup that holds "<image>" (an SVG's, say) would ask for an
 * image that is not there, and one holding "<|im_end|>" would close its own turn and open another. Message
 * text is never markup here: a special token's text inside it is encoded as the plain text it is, as
 * Hugging Face's `split_special_tokens` does, while the template's own tokens stay tokens.
 *
 * A prompt whose messages spell no special token encodes as it always did, in one call. One that does is
 * encoded as the tokenizer does it, section by section between the template's added tokens
 * (encodeSections), with the typed tokens' text left inside their sections and those sections encoded by
 * a tokenizer that knows no added token. The one difference is a Metaspace pre-tokenizer that prefixes only the first
 * section ("prepend_scheme": "first"): each section then starts with its "▁".
 */

import type { ContentPart, TemplateMessage } from './chat-template';

/** An added token of tokenizer.json: the template's tokens are found by these. */
export interface AddedTokenText {
  readonly content: string;
  readonly id: number;
  readonly special: boolean;
  /** Whitespace the tokenizer strips before (lstrip) and after (rstrip) the token. */
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export interface ChatEncodingParts {
  /** The chat template, rendered. */
  render(messages: readonly TemplateMessage[]): string;
  /** The tokenizer as it is; `addSpecialTokens` for what its post-processor adds (BOS). */
  encode(text: string, addSpecialTokens: boolean): number[];
  /** The tokenizer with no added token: one section of text, nothing added. */
  encodeSection(text: string): number[];
  readonly addedTokens: readonly AddedTokenText[];
  /** What message text may not spell: the special tokens' texts and the image token's. */
  readonly literalTexts: readonly string[];
  readonly bosToken: string | undefined;
}

export function encodeChat(parts: ChatEncodingParts, messages: readonly TemplateMessage[]): number[] {
  const literals: string[] = [];
  const nonce = markerNonce(messages);
  const marked = markTexts(messages, parts.literalTexts, (text) => {
    literals.push(text);
    return `\uE000${literals.length - 1}:${nonce}\uE001`;
  });
  const encodeRendered = (rendered: string) => parts.encode(rendered, addsSpecialTokens(parts, rendered));
  if (literals.length === 0) return encodeRendered(parts.render(messages));

  const rendered = parts.render(marked);
  const marker = new RegExp(`\uE000(\\d+):${nonce}\uE001`, 'g');
  const unmark = (text: string) => text.replace(marker, (_, index: string) => literals[Number(index)] ?? '');
  // A template that altered the text it prints (changed its case) has altered a marker too; the messages
  // are then encoded as rendered, as before. One that left a message out has left its markers out.
  const found = rendered.match(marker)?.length ?? 0;
  if (rendered.toLowerCase().split(nonce).length - 1 !== found) return encodeRendered(parts.render(messages));
  const ids = encodeSections(parts, rendered, unmark);
  if (!addsSpecialTokens(parts, unmark(rendered))) return ids;
  const { prefix, suffix } = addedAround(parts);
  return [...prefix, ...ids, ...suffix];
}

/** What the tokenizer's post-processor puts before and after a text (BOS; an EOS for some). */
function addedAround(parts: ChatEncodingParts): { prefix: number[]; suffix: number[] } {
  const bare = parts.encode('a', false);
  const full = parts.encode('a', true);
  for (let at = 0; at + bare.length <= full.length; at++) {
    if (bare.every((id, i) => full[at + i] === id))
      return { prefix: full.slice(0, at), suffix: full.slice(at + bare.length) };
  }
  return { prefix: parts.encode('', true), suffix: [] };
}

/**
 * `text` split at the added tokens it holds, as the tokenizer splits it (longest token first, the
 * tokens' lstrip and rstrip applied), each section given to `unmark` and encoded alone, each token its
 * id. Nothing is added at either end.
 */
export function encodeSections(
  parts: Pick<ChatEncodingParts, 'encodeSection' | 'addedTokens'>,
  text: string,
  unmark: (section: string) => string = (section) => section,
): number[] {
  const tokens = new Map(parts.addedTokens.map((token) => [token.content, token]));
  const contents = [...tokens.keys()].filter((content) => content.length > 0);
  if (contents.length === 0) return parts.encodeSection(unmark(text));
  contents.sort((a, b) => b.length - a.length);
  // With a capture, split keeps each token between the sections: section, token, section, …
  const pieces = text.split(new RegExp(`(${contents.map(escapeRegExp).join('|')})`));
  for (let i = 1; i < pieces.length; i += 2) {
    const token = tokens.get(pieces[i] ?? '');
    if (token?.lstrip) pieces[i - 1] = (pieces[i - 1] ?? '').trimEnd();
    if (token?.rstrip) pieces[i + 1] = (pieces[i + 1] ?? '').trimStart();
  }
  return pieces.flatMap((piece, i) => {
    if (i % 2 === 1) {
      const token = tokens.get(piece);
      return token ? [token.id] : [];
    }
    return piece ? parts.encodeSection(unmark(piece)) : [];
  });
}

/** As Hugging Face processors do: the tokenizer's special tokens (BOS) are added unless the template wrote them. */
function addsSpecialTokens(parts: ChatEncodingParts, rendered: string): boolean {
  return !(parts.bosToken && rendered.startsWith(parts.bosToken));
}

/** The messages with each of `texts` in their text parts replaced by `mark(text)`. */
function markTexts(
  messages: readonly TemplateMessage[],
  texts: readonly string[],
  mark: (text: string) => string,
): TemplateMessage[] {
  const sorted = [...new Set(texts.filter((text) => text.length > 0))];
  if (sorted.length === 0) return [...messages];
  // Longest first, so that one token's text inside another's is not matched in its place.
  sorted.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  return messages.map((message) => ({
    role: message.role,
    content: message.content.map(
      (part): ContentPart =>
        part.type === 'text' ? { type: 'text', text: part.text.replace(pattern, mark) } : part,
    ),
  }));
}

/** A marker tail no message contains in any case, so that no text can forge or hide a marker. */
function markerNonce(messages: readonly TemplateMessage[]): string {
  const texts = messages.flatMap((m) =>
    m.content.map((part) => (part.type === 'text' ? part.text.toLowerCase() : '')),
  );
  for (let n = 0; ; n++) {
    const nonce = `glimpse-literal-${n}`;
    if (!texts.some((text) => text.includes(nonce))) return nonce;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
