/**
 * A package's text side: tokenizer.json through @huggingface/tokenizers, the special tokens and EOS ids
 * from the config files, and the chat template (chat-template.ts).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { GlimpseError } from '../errors';
import { type AddedTokenText, encodeChat } from './chat-encoding';
import { type ChatTemplate, compileChatTemplate, type TemplateMessage } from './chat-template';

export type { ContentPart, TemplateMessage } from './chat-template';

export interface TextCodecFiles {
  readonly tokenizerJson: unknown;
  readonly tokenizerConfig: unknown;
  /** The text of chat_template.jinja, or of chat_template.json ({"chat_template": "…"}); wins over tokenizer_config.json. */
  readonly chatTemplate?: string;
  readonly specialTokensMap?: unknown;
  readonly generationConfig?: unknown;
  readonly config?: unknown;
}

export interface TextCodec {
  /** `addSpecialTokens` defaults to true, as in Hugging Face; pass false for a rendered chat prompt. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
  readonly hasChatTemplate: boolean;
  /**
   * Renders the model's chat template. `imageToken` (default '<image>') is written for image parts when the
   * template treats content as a string. Throws 'package-invalid' when the package has no template.
   */
  applyChatTemplate(
    messages: readonly TemplateMessage[],
    options: { addGenerationPrompt: boolean; imageToken?: string },
  ): string;
  /**
   * The conversation's token ids: the chat template rendered (as applyChatTemplate), then encoded with the
   * tokenizer's special tokens (BOS) unless the template wrote them. Messages' text is literal: a special
   * token's text inside it, or `imageToken`'s, is encoded as plain text, never as the token
   * (chat-encoding.ts).
   */
  encodeChat(
    messages: readonly TemplateMessage[],
    options: { addGenerationPrompt: boolean; imageToken?: string },
  ): number[];
}

const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

export function loadTextCodec(files: TextCodecFiles): TextCodec {
  const tokenizerJson = files.tokenizerJson;
  if (!isRecord(tokenizerJson)) throw invalid('tokenizer.json', 'is not a JSON object.');
  const tokenizerConfig = isRecord(files.tokenizerConfig) ? files.tokenizerConfig : {};
  const specialTokensMap = isRecord(files.specialTokensMap) ? files.specialTokensMap : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    throw invalid(
      'tokenizer.json',
      `cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }

  const specialTokens: Record<string, unknown> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const token = tokenContent(tokenizerConfig[key]) ?? tokenContent(specialTokensMap[key]);
    if (token !== undefined) specialTokens[key] = token;
  }
  const additional = tokenizerConfig.additional_special_tokens ?? specialTokensMap.additional_special_tokens;
  if (Array.isArray(additional)) {
    specialTokens.additional_special_tokens = additional.map(tokenContent).filter((t) => t !== undefined);
  }
  const idOf = (token: unknown): number | undefined =>
    typeof token === 'string' ? tokenizer.token_to_id(token) : undefined;

  const bosTokenId = idOf(specialTokens.bos_token) ?? integerOf(files.generationConfig, 'bos_token_id');
  const eosTokenIds =
    integerListOf(files.generationConfig, 'eos_token_id') ??
    integerListOf(files.config, 'eos_token_id') ??
    integerListOf(isRecord(files.config) ? files.config.text_config : undefined, 'eos_token_id') ??
    [idOf(specialTokens.eos_token)].filter((id) => id !== undefined);

  const source = templateSource(files.chatTemplate, tokenizerConfig.chat_template);
  let template: ChatTemplate | undefined;
  const bosToken = bosTokenId === undefined ? undefined : tokenizer.id_to_token(bosTokenId);
  const added = addedTokens(tokenizerJson);
  const specialTexts = added.filter((token) => token.special).map((token) => token.content);
  // Built on the first message that spells a special token, which most conversations never do.
  let sectionTokenizer: Tokenizer | undefined;
  const encodeSection = (text: string): number[] => {
    sectionTokenizer ??= new Tokenizer({ ...tokenizerJson, added_tokens: [] }, tokenizerConfig);
    return sectionTokenizer.encode(text, { add_special_tokens: false }).ids;
  };

  const codec: TextCodec = {
    encode: (text, options) =>
      tokenizer.encode(text, { add_special_tokens: options?.addSpecialTokens ?? true }).ids,
    decode: (ids, options) =>
      ids.length === 0
        ? ''
        : tokenizer.decode([...ids], { skip_special_tokens: options?.skipSpecialTokens ?? false }),
    tokenToId: (token) => tokenizer.token_to_id(token),
    idToToken: (id) => tokenizer.id_to_token(id),
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    eosTokenIds,
    hasChatTemplate: source !== undefined,
    applyChatTemplate(messages, { addGenerationPrompt, imageToken = '<image>' }) {
      if (source === undefined) {
        throw new GlimpseError(
          'package-invalid',
          'The package has no chat template: add chat_template to tokenizer_config.json, or a chat_template.jinja or chat_template.json file.',
          { details: { file: 'tokenizer_config.json', field: 'chat_template' } },
        );
      }
      template ??= compileChatTemplate(source.text, source.file);
      return template.render(messages, { addGenerationPrompt, imageToken, specialTokens });
    },
    encodeChat(messages, options) {
      return encodeChat(
        {
          render: (conversation) => codec.applyChatTemplate(conversation, options),
          encode: (text, addSpecialTokens) =>
            tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids,
          encodeSection,
          addedTokens: added,
          literalTexts: [...specialTexts, options.imageToken ?? '<image>'],
          bosToken,
        },
        messages,
      );
    },
  };
  return codec;
}

/** tokenizer.json's added tokens. */
function addedTokens(tokenizerJson: Record<string, unknown>): AddedTokenText[] {
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  return added.flatMap((token: unknown) =>
    isRecord(token) && typeof token.content === 'string' && typeof token.id === 'number'
      ? [
          {
            content: token.content,
            id: token.id,
            special: token.special === true,
            lstrip: token.lstrip === true,
            rstrip: token.rstrip === true,
          },
        ]
      : [],
  );
}

/** The separate template file first (a processor's own template, as llava-hf ships), then tokenizer_config.json. */
function templateSource(
  separate: string | undefined,
  fromConfig: unknown,
): { text: string; file: string } | undefined {
  if (separate !== undefined) {
    const fromJson = parseTemplateJson(separate);
    if (fromJson !== undefined) return { text: fromJson, file: 'chat_template.json' };
    return { text: separate, file: 'chat_template.jinja' };
  }
  if (typeof fromConfig === 'string') return { text: fromConfig, file: 'tokenizer_config.json' };
  if (Array.isArray(fromConfig)) {
    // A list of named templates: transformers uses the one named "default".
    for (const entry of fromConfig) {
      if (isRecord(entry) && entry.name === 'default' && typeof entry.template === 'string') {
        return { text: entry.template, file: 'tokenizer_config.json' };
      }
    }
    throw invalid('tokenizer_config.json', 'lists chat templates but none is named "default".');
  }
  return undefined;
}

function parseTemplateJson(text: string): string | undefined {
  if (!text.trimStart().startsWith('{"') && !/^\s*\{\s*"/.test(text)) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.chat_template === 'string') return parsed.chat_template;
  } catch {
    // Not JSON: a Jinja template that happens to start with a brace and a quote.
  }
  return undefined;
}

/** A token given as a string, or as an AddedToken object {content: "…"}. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

function integerOf(config: unknown, key: string): number | undefined {
  const value = isRecord(config) ? config[key] : undefined;
  return Number.isInteger(value) && typeof value === 'number' ? value : undefined;
}

function integerListOf(config: unknown, key: string): number[] | undefined {
  const value = isRecord(config) ? config[key] : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'number' && Number.isInteger(v))
  ) {
    return value;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(file: string, problem: string, cause?: unknown): GlimpseError {
  return new GlimpseError('package-invalid', `${file} ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { file },
  });
}
