/**
 * The whole conversation as the model sees it: rendered with the model's own chat template, encoded, and
 * each image token expanded to one position per image-feature row.
 */
import { GlimpseError } from '../errors';
import type { TemplateMessage } from '../text/chat-template';
import type { ChatMessage } from '../types';

export interface PromptCodec {
  /** The conversation rendered by the model's chat template and encoded, its messages' text literal. */
  encodeChat(messages: readonly TemplateMessage[], options: { addGenerationPrompt: boolean }): number[];
}

/** An image of the prompt: which one (its index in the conversation's image table) and how many rows it has. */
export interface PromptImage {
  readonly index: number;
  readonly rows: number;
}

/**
 * Position by position: a token id (≥ 0), or −(1 + image index) for an image-feature position, so that
 * comparing two layouts also compares which image sits where. `rows` gives the feature row at image positions.
 */
export interface PromptLayout {
  readonly slots: readonly number[];
  readonly rows: readonly number[];
}

export function templateMessages(
  messages: readonly ChatMessage[],
  systemPrompt: string | undefined,
): TemplateMessage[] {
  const rendered: TemplateMessage[] = [];
  if (systemPrompt) rendered.push({ role: 'system', content: [{ type: 'text', text: systemPrompt }] });
  for (const message of messages) {
    const text = { type: 'text', text: message.text } as const;
    // One image part per image, before the text: the content-list form a Hugging Face template expands into
    // its own image markers, so several images follow the model's own convention.
    const images =
      message.role === 'user' ? (message.images ?? []).map(() => ({ type: 'image' }) as const) : [];
    rendered.push({ role: message.role, content: [...images, text] });
  }
  return rendered;
}

/** `images` lists the conversation's images in the order the template renders them: message by message, each message's in turn. */
export function buildPrompt(
  codec: PromptCodec,
  imageTokenId: number | undefined,
  messages: readonly TemplateMessage[],
  images: readonly PromptImage[],
): PromptLayout {
  const ids = codec.encodeChat(messages, { addGenerationPrompt: true });
  const found = imageTokenId === undefined ? 0 : ids.filter((id) => id === imageTokenId).length;
  if (found !== images.length) {
    throw new GlimpseError(
      'package-invalid',
      `The chat template rendered ${found} image token(s) for ${images.length} image(s); the model's template or tokenizer does not fit its config.`,
      { details: { file: 'chat template', found, images: images.length } },
    );
  }
  const slots: number[] = [];
  const rows: number[] = [];
  let next = 0;
  for (const id of ids) {
    const image = id === imageTokenId ? images[next++] : undefined;
    if (!image) {
      slots.push(id);
      rows.push(-1);
      continue;
    }
    for (let row = 0; row < image.rows; row++) {
      slots.push(-1 - image.index);
      rows.push(row);
    }
  }
  return { slots, rows };
}

/** How many leading positions two layouts share. */
export function commonPrefixLength(a: PromptLayout, b: PromptLayout): number {
  const limit = Math.min(a.slots.length, b.slots.length);
  let i = 0;
  while (i < limit && a.slots[i] === b.slots[i] && a.rows[i] === b.rows[i]) i++;
  return i;
}
