import { describe, expect, it } from 'vitest';
import {
  byteLevelTokenizerJson,
  LLAVA_INTERLEAVE_CHAT_TEMPLATE_JSON,
  QWEN_CHAT_TEMPLATE,
} from '../../toolkit/tokenizer/byte-level-bpe';
import { GlimpseError } from '../errors';
import { loadTextCodec, type TemplateMessage } from './codec';
import { packageTextFiles } from './package-files.test-support';

const IMAGE_QUESTION: TemplateMessage[] = [
  { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this?' }] },
];

function chatml(tokenizerConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return loadTextCodec({ tokenizerJson: byteLevelTokenizerJson(), tokenizerConfig, ...extra });
}

function failure(run: () => unknown): GlimpseError {
  try {
    run();
  } catch (err) {
    if (err instanceof GlimpseError) return err;
    throw err;
  }
  throw new Error('expected a GlimpseError');
}

describe('loadTextCodec on stories260k (SentencePiece, no chat template)', () => {
  const codec = loadTextCodec(packageTextFiles('stories260k'));

  it('encodes with BOS by default and decodes back', () => {
    const ids = codec.encode('Once upon a time');
    expect(ids[0]).toBe(codec.bosTokenId);
    expect(ids.slice(1, 3)).toEqual([403, 407]);
    expect(codec.decode(ids, { skipSpecialTokens: true })).toBe('Once upon a time');
    expect(codec.encode('Once upon a time', { addSpecialTokens: false })[0]).toBe(403);
  });

  it('takes its ids from the config files', () => {
    expect(codec.bosTokenId).toBe(1);
    expect(codec.eosTokenIds).toEqual([2]);
    expect(codec.tokenToId('</s>')).toBe(2);
    expect(codec.idToToken(1)).toBe('<s>');
  });

  it('says clearly that it has no chat template', () => {
    expect(codec.hasChatTemplate).toBe(false);
    const err = failure(() => codec.applyChatTemplate(IMAGE_QUESTION, { addGenerationPrompt: true }));
    expect(err.code).toBe('package-invalid');
    expect(err.message).toContain('tokenizer_config.json');
  });
});

describe('chat templates', () => {
  it('renders a content-parts template (tiny-llava, LLaVA-1.5 style) with the image token in place', () => {
    const codec = loadTextCodec(packageTextFiles('tiny-llava'));
    const prompt = codec.applyChatTemplate(IMAGE_QUESTION, { addGenerationPrompt: true });
    expect(prompt).toMatch(/ USER: <image>\nWhat is this\? ASSISTANT:$/);
    expect(codec.encode(prompt, { addSpecialTokens: false })).toContain(codec.tokenToId('<image>'));
  });

  it('renders llava-interleave’s own chat_template.json, which wins over tokenizer_config.json', () => {
    const codec = chatml(
      { chat_template: QWEN_CHAT_TEMPLATE },
      { chatTemplate: LLAVA_INTERLEAVE_CHAT_TEMPLATE_JSON },
    );
    expect(codec.applyChatTemplate(IMAGE_QUESTION, { addGenerationPrompt: true })).toBe(
      '<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('writes the image token and a newline before the text for a string template (ChatML, nanoLLaVA)', () => {
    const codec = chatml({ chat_template: QWEN_CHAT_TEMPLATE });
    const messages: TemplateMessage[] = [
      ...IMAGE_QUESTION,
      { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Its colour?' }] },
    ];
    expect(codec.applyChatTemplate(messages, { addGenerationPrompt: true, imageToken: '<image>' })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n' +
        '<|im_start|>assistant\nA cat.<|im_end|>\n' +
        '<|im_start|>user\nIts colour?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('reads a chat_template.jinja text and passes the special tokens to it', () => {
    const codec = chatml(
      { bos_token: '<|endoftext|>', eos_token: { content: '<|im_end|>', __type: 'AddedToken' } },
      { chatTemplate: "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{{ eos_token }}{% endfor %}" },
    );
    expect(
      codec.applyChatTemplate([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], {
        addGenerationPrompt: false,
      }),
    ).toBe('<|endoftext|>hi<|im_end|>');
  });

  it('picks the template named "default" from a list in tokenizer_config.json', () => {
    const codec = chatml({
      chat_template: [
        { name: 'tool_use', template: 'tools' },
        { name: 'default', template: "{{ messages[0]['content'] }}!" },
      ],
    });
    expect(
      codec.applyChatTemplate([{ role: 'user', content: [{ type: 'text', text: 'x' }] }], {
        addGenerationPrompt: false,
      }),
    ).toBe('x!');
  });

  it('reports a template that does not parse as an invalid package', () => {
    const codec = chatml({ chat_template: '{% for m in messages %}' });
    expect(failure(() => codec.applyChatTemplate(IMAGE_QUESTION, { addGenerationPrompt: true })).code).toBe(
      'package-invalid',
    );
  });
});

describe('EOS ids', () => {
  const tokenizerConfig = { eos_token: '<|im_end|>' };

  it('come from generation_config.json first, as a number or a list', () => {
    expect(chatml(tokenizerConfig, { generationConfig: { eos_token_id: [7, 8] } }).eosTokenIds).toEqual([
      7, 8,
    ]);
    expect(
      chatml(tokenizerConfig, { generationConfig: { eos_token_id: 9 }, config: { eos_token_id: 3 } })
        .eosTokenIds,
    ).toEqual([9]);
  });

  it('then from config.json, its text_config, then the tokenizer’s eos_token', () => {
    expect(chatml(tokenizerConfig, { config: { eos_token_id: 3 } }).eosTokenIds).toEqual([3]);
    expect(chatml(tokenizerConfig, { config: { text_config: { eos_token_id: 4 } } }).eosTokenIds).toEqual([
      4,
    ]);
    const codec = chatml(tokenizerConfig);
    expect(codec.eosTokenIds).toEqual([codec.tokenToId('<|im_end|>')]);
  });
});
