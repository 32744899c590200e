/**
 * Which token id marks where an image goes in the prompt. llava-hf packages name it in config.json
 * (image_token_index 151646 = `<image>`); LLaVA's own checkpoints (FastVLM, nanoLLaVA upstream) use the
 * placeholder −200, which no tokenizer can produce, and browser exports either set the real id or add
 * `<image>` to the tokenizer. So: the config's id when the tokenizer has it, else the tokenizer's `<image>`
 * token for a model with a vision tower, else a load-time error, because no prompt could hold the image.
 */
import { GlimpseError } from '../errors';
import type { ModelConfig } from './config';

export const IMAGE_TOKEN = '<image>';

export interface TokenLookup {
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

/** The image token id, or undefined for a text-only model. */
export function resolveImageTokenId(config: ModelConfig, tokens: TokenLookup): number | undefined {
  const configured = config.imageTokenIndex;
  if (configured !== undefined && configured >= 0) {
    if (tokens.idToToken(configured) !== undefined) return configured;
    throw new GlimpseError(
      'package-invalid',
      `config.json gives image_token_index ${configured}, but tokenizer.json has no token with that id, so no prompt can mark where the image goes.`,
      { details: { file: 'config.json', field: 'image_token_index', id: configured } },
    );
  }
  if (configured === undefined && !config.declaresVision) return undefined;
  const fromTokenizer = tokens.tokenToId(IMAGE_TOKEN);
  if (fromTokenizer !== undefined) return fromTokenizer;
  const why =
    configured === undefined
      ? 'config.json names no image_token_index'
      : `config.json's image_token_index ${configured} is a placeholder of the original Python code, not a token`;
  throw new GlimpseError(
    'package-invalid',
    `This is a vision model, but ${why} and tokenizer.json has no ${IMAGE_TOKEN} token, so no prompt can mark where the image goes. Use an export whose config.json sets image_token_index to a token of its tokenizer.`,
    { details: { file: 'config.json', field: 'image_token_index' } },
  );
}
