/** The facts the engine needs from config.json (and processor_config.json), checked once at load. */
import { GlimpseError } from '../errors';
import { type JsonObject, numberField, objectField, stringField } from './json';

export interface ModelConfig {
  readonly modelType: string;
  /**
   * The config's image token (image_token_index / image_token_id), as written: it may be upstream LLaVA's
   * −200 placeholder, which no tokenizer has; image-token.ts settles the id the prompt really uses.
   */
  readonly imageTokenIndex: number | undefined;
  /** The config describes a vision tower (vision_config, LLaVA's mm_vision_tower, or a llava model type). */
  readonly declaresVision: boolean;
  readonly contextLength: number;
  readonly numLayers: number | undefined;
  readonly numHeads: number | undefined;
  readonly numKvHeads: number | undefined;
  readonly headDim: number | undefined;
  /**
   * The image token count the package declares (image_seq_length, or nanoLLaVA's num_image_tokens),
   * checked against the encoder's output.
   */
  readonly declaredImageTokens: number | undefined;
}

const CONTEXT_KEYS = ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'seq_length'];

export function parseModelConfig(config: JsonObject, processorConfig: JsonObject | null): ModelConfig {
  const text = objectField(config, 'text_config') ?? config;
  const contextLength = numberField(text, ...CONTEXT_KEYS) ?? numberField(config, ...CONTEXT_KEYS);
  if (contextLength === undefined) {
    throw new GlimpseError(
      'package-invalid',
      'config.json gives no context length (max_position_embeddings).',
      {
        details: { file: 'config.json', field: 'max_position_embeddings' },
      },
    );
  }
  const numHeads = numberField(text, 'num_attention_heads');
  const hiddenSize = numberField(text, 'hidden_size');
  const headDim =
    numberField(text, 'head_dim') ??
    (numHeads !== undefined && hiddenSize !== undefined ? hiddenSize / numHeads : undefined);
  const modelType = stringField(config, 'model_type') ?? 'unknown';
  return {
    modelType,
    imageTokenIndex:
      numberField(config, 'image_token_index', 'image_token_id') ??
      numberField(text, 'image_token_index', 'image_token_id'),
    declaresVision:
      objectField(config, 'vision_config') !== undefined ||
      stringField(config, 'mm_vision_tower') !== undefined ||
      modelType.startsWith('llava'),
    contextLength,
    numLayers: numberField(text, 'num_hidden_layers'),
    numHeads,
    numKvHeads: numberField(text, 'num_key_value_heads') ?? numHeads,
    headDim,
    declaredImageTokens:
      numberField(processorConfig ?? undefined, 'image_seq_length') ??
      numberField(config, 'image_seq_length', 'num_image_tokens'),
  };
}
