import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { LLAVA_V1_CHAT_TEMPLATE, LLAVA_V1_SYSTEM_PROMPT } from './tiny-llava-template';

type Content = string | readonly { type: 'image' | 'text'; text?: string }[];

function render(messages: readonly { role: string; content: Content }[]): string {
  return new Template(LLAVA_V1_CHAT_TEMPLATE).render({
    messages,
    add_generation_prompt: true,
    eos_token: '</s>',
  });
}

describe('llava_v1 chat template', () => {
  it('puts the image at the front of the first user turn, after the default system prompt', () => {
    const prompt = render([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image' }] },
    ]);
    expect(prompt).toBe(`${LLAVA_V1_SYSTEM_PROMPT} USER: <image>\nWhat is this? ASSISTANT:`);
  });

  it('ends each answer with </s> and continues with the next user turn', () => {
    const prompt = render([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Boats.' }] },
      { role: 'user', content: 'How many?' },
    ]);
    expect(prompt).toBe(
      `${LLAVA_V1_SYSTEM_PROMPT} USER: <image>\nWhat is this? ASSISTANT: Boats.</s>USER: How many? ASSISTANT:`,
    );
  });

  it('uses a given system message instead of the default one', () => {
    const prompt = render([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Hello' },
    ]);
    expect(prompt).toBe('Answer briefly. USER: Hello ASSISTANT:');
  });
});
