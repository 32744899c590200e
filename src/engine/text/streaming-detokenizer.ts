/**
 * Token ids → text deltas that are final. Each push decodes a short window of ids twice, with and without
 * the new ones, and emits the difference (Hugging Face's incremental decoding, as text-generation-inference
 * and transformers.js's TextStreamer do): the tokens before the new ones give SentencePiece's leading-space
 * rule and byte-level merges their context. A window whose decode ends in U+FFFD is an incomplete UTF-8
 * sequence (a split character or part of a byte-fallback run), so nothing is emitted until it completes.
 */
import type { TextCodec } from './codec';

const REPLACEMENT = '\uFFFD';

export class StreamingDetokenizer {
  private readonly codec: TextCodec;
  private readonly skipSpecialTokens: boolean;
  private readonly ids: number[] = [];
  /** Start of the context window: ids before it are emitted and no longer decoded. */
  private prefixOffset = 0;
  /** End of what has been emitted. */
  private readOffset = 0;

  constructor(codec: TextCodec, options?: { skipSpecialTokens?: boolean }) {
    this.codec = codec;
    this.skipSpecialTokens = options?.skipSpecialTokens ?? true;
  }

  /** Adds one generated id; returns the text it makes final, often '' (e.g. mid-character). */
  push(id: number): string {
    this.ids.push(id);
    const { prefixText, text } = this.window();
    if (text.length <= prefixText.length || text.endsWith(REPLACEMENT)) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return text.slice(prefixText.length);
  }

  /** The text still held back, at the end of generation (an unfinished sequence decodes as U+FFFD). */
  flush(): string {
    const { prefixText, text } = this.window();
    this.prefixOffset = this.readOffset = this.ids.length;
    return text.length > prefixText.length ? text.slice(prefixText.length) : '';
  }

  private window(): { prefixText: string; text: string } {
    const options = { skipSpecialTokens: this.skipSpecialTokens };
    return {
      prefixText: this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset), options),
      text: this.codec.decode(this.ids.slice(this.prefixOffset), options),
    };
  }
}
