/**
 * Reads a Hugging Face config.json into what the graph builders need: the architecture (a plain causal
 * language model or LlavaForConditionalGeneration), the text model's LlamaConfig and the vision tower's
 * settings, refusing clearly whatever the builders cannot reproduce.
 */
import type { LlamaConfig } from '../llama2c/checkpoint';
import { ConvertError } from './convert-error';

export type JsonRecord = Readonly<Record<string, unknown>>;

export const TEXT_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;
export type TextModelType = (typeof TEXT_MODEL_TYPES)[number];
export const VISION_MODEL_TYPES = ['clip_vision_model', 'siglip_vision_model'] as const;
export type VisionModelType = (typeof VISION_MODEL_TYPES)[number];
const CAUSAL_LM_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'];

export interface TextModelSpec {
  readonly modelType: TextModelType;
  readonly config: LlamaConfig;
  readonly tieWordEmbeddings: boolean;
  /** Things the package does not reproduce but that do not change short answers (said in the summary). */
  readonly notes: readonly string[];
}

export interface VisionModelSpec {
  readonly modelType: VisionModelType;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly layerNormEps: number;
  readonly hiddenAct: string;
}

export interface LlavaSpec {
  readonly text: TextModelSpec;
  readonly vision: VisionModelSpec;
  readonly featureLayer: number;
  readonly selectStrategy: 'default' | 'full';
  readonly projectorAct: string;
  readonly imageTokenIndex: number;
}

export type ModelSpec =
  | { readonly kind: 'causal-lm'; readonly text: TextModelSpec }
  | { readonly kind: 'llava'; readonly llava: LlavaSpec };

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(values: readonly T[], value: unknown): T | undefined {
  return values.find((v) => v === value);
}

function num(config: JsonRecord, key: string, where: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number') throw new ConvertError(`${where} has no number ${key}.`);
  return value;
}

export function textModelSpec(config: JsonRecord, where: string): TextModelSpec {
  const modelType = oneOf(TEXT_MODEL_TYPES, config.model_type);
  if (!modelType) {
    throw new ConvertError(
      `${where}: the text model type '${String(config.model_type)}' is not supported; ` +
        `glimpse convert builds ${TEXT_MODEL_TYPES.join(', ')} language models.`,
    );
  }
  const act = config.hidden_act ?? 'silu';
  if (act !== 'silu')
    throw new ConvertError(`${where}: hidden_act '${String(act)}' is not supported (only silu).`);
  const scaling = config.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    throw new ConvertError(
      `${where}: rope_scaling ${JSON.stringify(scaling)} is not supported; the decoder builds plain RoPE.`,
    );
  }
  const hiddenSize = num(config, 'hidden_size', where);
  const numHeads = num(config, 'num_attention_heads', where);
  const notes: string[] = [];
  const maxPositions = num(config, 'max_position_embeddings', where, 4096);
  const window = config.sliding_window;
  if (config.use_sliding_window !== false && typeof window === 'number' && window < maxPositions) {
    notes.push(
      `sliding-window attention (${window} tokens) is not built: contexts longer than ${window} tokens ` +
        'attend to all earlier tokens instead',
    );
  }
  return {
    modelType,
    config: {
      hiddenSize,
      intermediateSize: num(config, 'intermediate_size', where),
      numLayers: num(config, 'num_hidden_layers', where),
      numHeads,
      numKvHeads: num(config, 'num_key_value_heads', where, numHeads),
      headDim: num(config, 'head_dim', where, hiddenSize / numHeads),
      vocabSize: num(config, 'vocab_size', where),
      maxPositions,
      rmsNormEps: num(config, 'rms_norm_eps', where, 1e-6),
      ropeTheta: num(config, 'rope_theta', where, 10000),
    },
    tieWordEmbeddings: config.tie_word_embeddings === true,
    notes,
  };
}

function visionModelSpec(config: JsonRecord, where: string): VisionModelSpec {
  const modelType = oneOf(VISION_MODEL_TYPES, config.model_type);
  if (!modelType) {
    throw new ConvertError(
      `${where}: the vision tower '${String(config.model_type)}' is not supported; ` +
        `glimpse convert builds ${VISION_MODEL_TYPES.join(', ')} towers.`,
    );
  }
  const clip = modelType === 'clip_vision_model';
  return {
    modelType,
    hiddenSize: num(config, 'hidden_size', where, 768),
    intermediateSize: num(config, 'intermediate_size', where, 3072),
    numLayers: num(config, 'num_hidden_layers', where, 12),
    numHeads: num(config, 'num_attention_heads', where, 12),
    imageSize: num(config, 'image_size', where, 224),
    patchSize: num(config, 'patch_size', where, clip ? 32 : 16),
    channels: num(config, 'num_channels', where, 3),
    layerNormEps: num(config, 'layer_norm_eps', where, clip ? 1e-5 : 1e-6),
    hiddenAct:
      typeof config.hidden_act === 'string' ? config.hidden_act : clip ? 'quick_gelu' : 'gelu_pytorch_tanh',
  };
}

export function modelSpec(config: JsonRecord): ModelSpec {
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  if (config.model_type === 'llava') {
    const { text_config: text, vision_config: vision } = config;
    if (!isRecord(text)) throw new ConvertError('config.json: a llava model needs a text_config object.');
    if (!isRecord(vision)) throw new ConvertError('config.json: a llava model needs a vision_config object.');
    const layer = config.vision_feature_layer ?? -2;
    if (typeof layer !== 'number') {
      throw new ConvertError(
        `config.json: vision_feature_layer ${JSON.stringify(layer)} is not supported (only one layer).`,
      );
    }
    const strategy = config.vision_feature_select_strategy ?? 'default';
    if (strategy !== 'default' && strategy !== 'full') {
      throw new ConvertError(
        `config.json: vision_feature_select_strategy '${String(strategy)}' is not supported.`,
      );
    }
    const act = config.projector_hidden_act ?? 'gelu';
    if (act !== 'gelu')
      throw new ConvertError(`config.json: projector_hidden_act '${String(act)}' is not supported.`);
    const index = config.image_token_index ?? config.image_token_id;
    if (typeof index !== 'number') throw new ConvertError('config.json has no image_token_index.');
    // The tower first: an unsupported one is the likelier problem with a LLaVA variant.
    const visionSpec = visionModelSpec(vision, 'config.json vision_config');
    return {
      kind: 'llava',
      llava: {
        vision: visionSpec,
        text: textModelSpec(text, 'config.json text_config'),
        featureLayer: layer,
        selectStrategy: strategy,
        projectorAct: act,
        imageTokenIndex: index,
      },
    };
  }
  if (
    architectures.some((a) => CAUSAL_LM_ARCHITECTURES.includes(String(a))) ||
    oneOf(TEXT_MODEL_TYPES, config.model_type)
  ) {
    return { kind: 'causal-lm', text: textModelSpec(config, 'config.json') };
  }
  throw new ConvertError(
    `config.json: model_type '${String(config.model_type)}' (architectures ${JSON.stringify(architectures)}) ` +
      `is not supported; glimpse convert reads LlavaForConditionalGeneration (model_type llava) and ` +
      `${CAUSAL_LM_ARCHITECTURES.join(', ')}.`,
  );
}
