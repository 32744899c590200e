/**
 * A look-alike of Xenova/nanoLLaVA (data/hub-models.md): model_type llava with text_config and
 * vision_config, architectures LlavaQwen2ForCausalLM, num_image_tokens 729 (top level, vision_config and
 * text_config), SigLIP 384 px / patch 14, image_aspect_ratio 'pad', untied embeddings, BOS = EOS =
 * `<|im_end|>`, the SiglipImageProcessor settings (384×384, mean = std = 0.5) and no processor_config or
 * chat_template file. Assumed (not seen): image_token_index = `<image>` in the tokenizer, and Qwen1.5's
 * ChatML template in tokenizer_config.json, which prints content as a string.
 */
import type { JsonValue } from '../../tokenizer/tokenizer-json';
import type { ModelPackage } from '../index';
import { type PackageFiles, writePackage } from '../write';
import {
  addedTokensJson,
  decoderOnnx,
  embedOnnx,
  onnxPath,
  QWEN_CHATML_TEMPLATE,
  qwenTokenizer,
  qwenTokenizerConfig,
  tinyQwen,
  tinyVision,
  visionOnnx,
} from './parts';

export const NANOLLAVA_REPO = 'Xenova/nanoLLaVA';
const IMAGE_TOKENS = 729;

export async function nanoLlavaFiles(): Promise<PackageFiles> {
  const tokenizer = qwenTokenizer();
  const text = tinyQwen(
    {
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 16,
      vocabSize: tokenizer.vocabSize,
      maxPositions: 32768,
      rmsNormEps: 1e-6,
      ropeTheta: 1000000,
    },
    0x7a70,
    false,
  );
  const visionConfig = {
    imageSize: 384,
    patchSize: 14,
    channels: 3,
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 1,
    numHeads: 2,
    layerNormEps: 1e-6,
    featureLayer: -1,
    activation: 'gelu_pytorch_tanh',
  } as const;
  const vision = tinyVision(visionConfig, text.config.hiddenSize, 0x7a71);
  const { id } = tokenizer;
  return new Map<string, Uint8Array | JsonValue>([
    [
      'config.json',
      {
        architectures: ['LlavaQwen2ForCausalLM'],
        auto_map: {
          AutoConfig: 'configuration_llava_qwen2.LlavaQwen2Config',
          AutoModelForCausalLM: 'modeling_llava_qwen2.LlavaQwen2ForCausalLM',
        },
        bos_token_id: id['<|im_end|>'],
        eos_token_id: id['<|im_end|>'],
        image_aspect_ratio: 'pad',
        image_token_index: id['<image>'],
        mm_hidden_size: visionConfig.hiddenSize,
        mm_projector_type: 'mlp2x_gelu',
        mm_vision_tower: 'google/siglip-so400m-patch14-384',
        model_type: 'llava',
        num_image_tokens: IMAGE_TOKENS,
        text_config: {
          _name_or_path: 'vilm/Quyen-SE-v0.1',
          architectures: ['Qwen2ForCausalLM'],
          eos_token_id: id['<|im_end|>'],
          hidden_size: text.config.hiddenSize,
          intermediate_size: text.config.intermediateSize,
          max_position_embeddings: 32768,
          max_window_layers: 21,
          model_type: 'qwen2',
          num_attention_heads: text.config.numHeads,
          num_hidden_layers: text.config.numLayers,
          num_image_tokens: IMAGE_TOKENS,
          num_key_value_heads: text.config.numKvHeads,
          rms_norm_eps: 1e-6,
          rope_theta: 1000000.0,
          sliding_window: 4096,
          vocab_size: tokenizer.vocabSize,
        },
        tie_word_embeddings: false,
        vision_config: {
          image_size: visionConfig.imageSize,
          model_type: 'siglip_vision_model',
          num_attention_heads: visionConfig.numHeads,
          num_hidden_layers: visionConfig.numLayers,
          num_image_tokens: IMAGE_TOKENS,
          patch_size: visionConfig.patchSize,
        },
      },
    ],
    ['generation_config.json', { bos_token_id: id['<|im_end|>'], eos_token_id: id['<|im_end|>'] }],
    [
      'preprocessor_config.json',
      {
        do_normalize: true,
        do_rescale: true,
        do_resize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_processor_type: 'SiglipImageProcessor',
        image_std: [0.5, 0.5, 0.5],
        processor_class: 'SiglipProcessor',
        resample: 3,
        rescale_factor: 0.00392156862745098,
        size: { height: 384, width: 384 },
      },
    ],
    [
      'added_tokens.json',
      addedTokensJson(tokenizer, ['<|endoftext|>', '<|im_end|>', '<|im_start|>', '<image>']),
    ],
    [
      'special_tokens_map.json',
      {
        additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
        eos_token: {
          content: '<|im_end|>',
          lstrip: false,
          normalized: false,
          rstrip: false,
          single_word: false,
        },
        pad_token: {
          content: '<|endoftext|>',
          lstrip: false,
          normalized: false,
          rstrip: false,
          single_word: false,
        },
      },
    ],
    ['tokenizer.json', tokenizer.json],
    ['tokenizer_config.json', qwenTokenizerConfig(tokenizer, { chatTemplate: QWEN_CHATML_TEMPLATE })],
    [onnxPath('vision_encoder', 'q4'), visionOnnx(vision, 'q4')],
    [onnxPath('embed_tokens', 'fp32'), embedOnnx(text, 'fp32')],
    [onnxPath('embed_tokens', 'fp16'), embedOnnx(text, 'fp16')],
    [onnxPath('decoder_model_merged', 'q4'), decoderOnnx(text, 'q4')],
    [onnxPath('decoder_model_merged', 'q4f16'), decoderOnnx(text, 'q4f16')],
  ]);
}

export const lookalikeNanoLlava: ModelPackage = {
  name: `hub/${NANOLLAVA_REPO}`,
  build: async (outDir) => writePackage(outDir, await nanoLlavaFiles()),
};
