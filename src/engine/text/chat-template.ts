/**
 * A model's own chat template, rendered with @huggingface/jinja as transformers does. Templates come in two
 * styles: multimodal ones (llava-hf) walk `message.content` as a list of `{type: 'image'}` / `{type: 'text'}`
 * parts, while text-chat ones (ChatML models such as nanoLLaVA) print `message.content` as a string. The
 * style is found by rendering a probe; for string templates the image placeholder goes in front of the text
 * of the turn that carries the image, followed by a newline, as LLaVA's own prompts do.
 */
import { Template } from '@huggingface/jinja';
import { GlimpseError, messageOf } from '../errors';

export type ContentPart = { readonly type: 'image' } | { readonly type: 'text'; readonly text: string };

export interface TemplateMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: readonly ContentPart[];
}

export type TemplateStyle = 'content-parts' | 'string-content';

export interface ChatTemplate {
  readonly style: TemplateStyle;
  render(
    messages: readonly TemplateMessage[],
    options: { addGenerationPrompt: boolean; imageToken: string; specialTokens: Record<string, unknown> },
  ): string;
}

const PROBE_TEXT = 'glimpse-template-probe';

export function compileChatTemplate(source: string, file: string): ChatTemplate {
  let template: Template;
  try {
    template = new Template(source);
  } catch (err) {
    throw new GlimpseError(
      'package-invalid',
      `The chat template in ${file} does not parse: ${messageOf(err)}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  const run = (context: Record<string, unknown>): string => {
    try {
      return template.render(context);
    } catch (err) {
      throw new GlimpseError('package-invalid', `The chat template in ${file} failed: ${messageOf(err)}`, {
        cause: err,
        details: { file },
      });
    }
  };
  const style = detectStyle(template);
  return {
    style,
    render(messages, { addGenerationPrompt, imageToken, specialTokens }) {
      const rendered =
        style === 'content-parts'
          ? messages.map((m) => ({ role: m.role, content: m.content.map((part) => ({ ...part })) }))
          : messages.map((m) => ({ role: m.role, content: flattenContent(m.content, imageToken) }));
      return run({ ...specialTokens, messages: rendered, add_generation_prompt: addGenerationPrompt });
    },
  };
}

/**
 * A template that handles content parts prints the probe's text and no trace of the part objects; a
 * string template either fails on a list or prints the list itself (its `type` keys show).
 */
function detectStyle(template: Template): TemplateStyle {
  const probe = [{ role: 'user', content: [{ type: 'text', text: PROBE_TEXT }] }];
  let output: string;
  try {
    output = template.render({ messages: probe, add_generation_prompt: true });
  } catch {
    return 'string-content';
  }
  return output.includes(PROBE_TEXT) && !/["']type["']|\btype:/.test(output)
    ? 'content-parts'
    : 'string-content';
}

function flattenContent(parts: readonly ContentPart[], imageToken: string): string {
  let images = '';
  const texts: string[] = [];
  for (const part of parts) {
    if (part.type === 'image') images += `${imageToken}\n`;
    else texts.push(part.text);
  }
  return images + texts.join('\n');
}
