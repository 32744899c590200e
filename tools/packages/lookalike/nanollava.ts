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
  lookalikeQwen,
  lookalikeTailFiles,
  QWEN_CHATML_TEMPLATE,
  qwenTokenizer,
  SIGLIP_384_VISION,
  tinyVision,
} from './parts';

export const NANOLLAVA_REPO = 'Xenova/nanoLLaVA';
const IMAGE_TOKENS = 729;

export async function nanoLlavaFiles(): Promise<PackageFiles> {
  const tokenizer = qwenTokenizer();
  const text = lookalikeQwen(tokenizer, { numKvHeads: 4, seed: 0x7a70, tied: false });
  const visionConfig = SIGLIP_384_VISION;
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
    ...lookalikeTailFiles({
      tokenizer,
      addedTokens: ['<|endoftext|>', '<|im_end|>', '<|im_start|>', '<image>'],
      tokenizerConfig: { chatTemplate: QWEN_CHATML_TEMPLATE },
      text,
      vision,
      visionDtypes: ['fp32', 'fp16'],
    }),
  ]);
}

export const lookalikeNanoLlava: ModelPackage = {
  name: `hub/${NANOLLAVA_REPO}`,
  test: { note: `Look-alike of ${NANOLLAVA_REPO} with random weights: answers are not about the picture.` },
  build: async (outDir) => writePackage(outDir, await nanoLlavaFiles()),
};
