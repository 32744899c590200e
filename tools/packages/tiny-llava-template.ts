/**
 * The llava_v1 conversation format as a chat template in the llava-hf style (a message's content is a
 * string or a list of parts; image parts render as `<image>\n` before the text of their turn):
 * `{system} USER: <image>\n{question} ASSISTANT: {answer}</s>USER: … ASSISTANT:`.
 */
export const LLAVA_V1_SYSTEM_PROMPT =
  'A chat between a curious human and an artificial intelligence assistant. ' +
  "The assistant gives helpful, detailed, and polite answers to the human's questions.";

export const LLAVA_V1_CHAT_TEMPLATE = [
  '{%- macro text_of(content) -%}',
  '{%- if content is string -%}{{- content -}}',
  "{%- else -%}{{- content | selectattr('type', 'equalto', 'text') | map(attribute='text') | join(' ') -}}",
  '{%- endif -%}',
  '{%- endmacro -%}',
  '{%- macro images_of(content) -%}',
  '{%- if content is not string -%}',
  "{%- for part in content | selectattr('type', 'equalto', 'image') -%}{{- '<image>\\n' -}}{%- endfor -%}",
  '{%- endif -%}',
  '{%- endmacro -%}',
  "{%- if messages[0]['role'] == 'system' -%}",
  "{{- text_of(messages[0]['content']) -}}",
  '{%- else -%}',
  `{{- '${LLAVA_V1_SYSTEM_PROMPT.replaceAll("'", "\\'")}' -}}`,
  '{%- endif -%}',
  "{{- ' ' -}}",
  '{%- for message in messages -%}',
  "{%- if message['role'] == 'user' -%}",
  "{{- 'USER: ' + images_of(message['content']) + text_of(message['content']) + ' ' -}}",
  "{%- elif message['role'] == 'assistant' -%}",
  "{{- 'ASSISTANT: ' + text_of(message['content']) + eos_token -}}",
  '{%- endif -%}',
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{- 'ASSISTANT:' -}}{%- endif -%}",
].join('');
