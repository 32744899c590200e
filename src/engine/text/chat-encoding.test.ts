import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson, QWEN_CHAT_TEMPLATE } from '../../toolkit/tokenizer/byte-level-bpe';
import { type AddedTokenText, encodeSections } from './chat-encoding';
import { loadTextCodec, type TemplateMessage } from './codec';
import { packageTextFiles } from './package-files.test-support';

/** encodeSections' parts from a tokenizer.json, as the codec builds them. */
function sectionParts(json: Record<string, unknown>) {
  const whole = new Tokenizer(json, {});
  const bare = new Tokenizer({ ...json, added_tokens: [] }, {});
  const addedTokens = (json.added_tokens as AddedTokenText[]).map((t) => ({ ...t, special: true }));
  return {
    whole,
    parts: {
      addedTokens,
      encodeSection: (text: string) => bare.encode(text, { add_special_tokens: false }).ids,
    },
  };
}

/** The text files of a Hub look-alike package (models/hub/, built with the test packages). */
function hubTextFiles(repo: string) {
  const read = (file: string) =>
    readFileSync(new URL(`../../../models/hub/${repo}/${file}`, import.meta.url), 'utf8');
  return {
    tokenizerJson: JSON.parse(read('tokenizer.json')) as unknown,
    tokenizerConfig: JSON.parse(read('tokenizer_config.json')) as unknown,
    chatTemplate: read('chat_template.json'),
  };
}

const CONVERSATION: TemplateMessage[] = [
  { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this? Say it  twice.\n' }] },
  { role: 'assistant', content: [{ type: 'text', text: ' A red square, and a circle.' }] },
  { role: 'user', content: [{ type: 'text', text: 'Its colour?' }] },
];

describe('encodeSections', () => {
  // The path a prompt takes when a message spells a special token must encode everything else as the
  // tokenizer itself does: checked here on prompts that spell none, against the tokenizer's own encoding.
  it.each([
    ['SentencePiece with the legacy prefix (tiny-llava)', packageTextFiles('tiny-llava')],
    [
      'Qwen2’s split and byte-level BPE, llava-interleave’s template',
      hubTextFiles('llava-hf/llava-interleave-qwen-0.5b-hf'),
    ],
    [
      'byte-level BPE, ChatML',
      { tokenizerJson: byteLevelTokenizerJson(), tokenizerConfig: { chat_template: QWEN_CHAT_TEMPLATE } },
    ],
  ])('encodes a rendered prompt as the tokenizer does, section by section: %s', (_, files) => {
    const codec = loadTextCodec(files);
    const { whole, parts } = sectionParts(files.tokenizerJson as Record<string, unknown>);
    const rendered = codec.applyChatTemplate(CONVERSATION, { addGenerationPrompt: true });
    expect(encodeSections(parts, rendered)).toEqual(
      whole.encode(rendered, { add_special_tokens: false }).ids,
    );
  });

  it('strips whitespace beside tokens that ask for it, as the tokenizer does', () => {
    const json = byteLevelTokenizerJson();
    const stripping = {
      ...json,
      added_tokens: (json.added_tokens as AddedTokenText[]).map((t) => ({
        ...t,
        lstrip: true,
        rstrip: true,
      })),
    };
    const { whole, parts } = sectionParts(stripping);
    const text = 'a <|im_end|> b\n<image>\n c';
    expect(encodeSections(parts, text)).toEqual(whole.encode(text, { add_special_tokens: false }).ids);
  });
});
