/**
 * A look-alike of llava-hf/llava-interleave-qwen-0.5b-hf (data/hub-models.md): the same config shape
 * (model_type llava, qwen2 text_config, siglip_vision_model vision_config, image_token_index = `<image>`),
 * the same SiglipImageProcessor settings (fixed 384×384 bicubic, mean = std = 0.5) and patch 14, so 729
 * image tokens, the same chat_template.json, special tokens and generation_config — around a 2-layer,
 * 64-wide Qwen2 and a 1-layer, 32-wide SigLIP tower. Files: the dtypes the registry loads on each device.
 */
import type { JsonValue } from '../../tokenizer/tokenizer-json';
import type { ModelPackage } from '../index';
import { type PackageFiles, writePackage } from '../write';
import { lookalikeQwen, lookalikeTailFiles, qwenTokenizer, SIGLIP_384_VISION, tinyVision } from './parts';

export const INTERLEAVE_REPO = 'llava-hf/llava-interleave-qwen-0.5b-hf';

/** chat_template.json of the repository, byte for byte as data/hub-models.md quotes it. */
export const INTERLEAVE_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\n' + content['text'] }}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export async function interleaveFiles(): Promise<PackageFiles> {
  const tokenizer = qwenTokenizer();
  const text = lookalikeQwen(tokenizer, { numKvHeads: 4, seed: 0x1e4e, tied: true });
  const visionConfig = SIGLIP_384_VISION;
  const vision = tinyVision(visionConfig, text.config.hiddenSize, 0x51e1);
  const { id } = tokenizer;
  return new Map<string, Uint8Array | JsonValue>([
    [
      'config.json',
      {
        architectures: ['LlavaForConditionalGeneration'],
        ignore_index: -100,
        image_token_index: id['<image>'],
        model_type: 'llava',
        projector_hidden_act: 'gelu',
        text_config: {
          _name_or_path: 'Qwen/Qwen1.5-0.5B-Chat',
          architectures: ['Qwen2ForCausalLM'],
          bos_token_id: id['<|endoftext|>'],
          eos_token_id: id['<|im_end|>'],
          hidden_size: text.config.hiddenSize,
          intermediate_size: text.config.intermediateSize,
          max_position_embeddings: 32768,
          max_window_layers: 21,
          model_type: 'qwen2',
          num_attention_heads: text.config.numHeads,
          num_hidden_layers: text.config.numLayers,
          num_key_value_heads: text.config.numKvHeads,
          rms_norm_eps: 1e-6,
          rope_theta: 1000000.0,
          sliding_window: 32768,
          tie_word_embeddings: true,
          torch_dtype: 'bfloat16',
          use_sliding_window: false,
          vocab_size: tokenizer.vocabSize,
        },
        torch_dtype: 'bfloat16',
        transformers_version: '4.43.0.dev0',
        vision_config: {
          hidden_act: 'gelu_pytorch_tanh',
          hidden_size: visionConfig.hiddenSize,
          image_size: visionConfig.imageSize,
          intermediate_size: visionConfig.intermediateSize,
          layer_norm_eps: 1e-6,
          model_type: 'siglip_vision_model',
          num_attention_heads: visionConfig.numHeads,
          num_hidden_layers: visionConfig.numLayers,
          patch_size: visionConfig.patchSize,
          vision_use_head: false,
        },
        vision_feature_layer: -1,
        // Not seen for the 0.5B repository; its 7B sibling has "full" (SigLIP has no CLS token to drop).
        vision_feature_select_strategy: 'full',
      },
    ],
    [
      'generation_config.json',
      {
        _from_model_config: true,
        bos_token_id: id['<|endoftext|>'],
        eos_token_id: id['<|im_end|>'],
        transformers_version: '4.43.0.dev0',
      },
    ],
    [
      'preprocessor_config.json',
      {
        do_convert_rgb: null,
        do_normalize: true,
        do_rescale: true,
        do_resize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_processor_type: 'SiglipImageProcessor',
        image_std: [0.5, 0.5, 0.5],
        processor_class: 'LlavaProcessor',
        resample: 3,
        rescale_factor: 0.00392156862745098,
        size: { height: 384, width: 384 },
      },
    ],
    // Its content was not seen (169 B on main); these are the keys LlavaProcessor reads.
    [
      'processor_config.json',
      {
        image_token: '<image>',
        num_additional_image_tokens: 0,
        patch_size: 14,
        processor_class: 'LlavaProcessor',
        vision_feature_select_strategy: 'full',
      },
    ],
    ['chat_template.json', { chat_template: INTERLEAVE_CHAT_TEMPLATE }],
    ...lookalikeTailFiles({
      tokenizer,
      addedTokens: ['<image>', '<|endoftext|>', '<|im_end|>', '<|im_start|>'],
      tokenizerConfig: { processorClass: 'LlavaProcessor' },
      text,
      vision,
      visionDtypes: ['q4', 'int8'],
    }),
  ]);
}

export const lookalikeInterleave: ModelPackage = {
  name: `hub/${INTERLEAVE_REPO}`,
  test: { note: `Look-alike of ${INTERLEAVE_REPO} with random weights: answers are not about the picture.` },
  build: async (outDir) => writePackage(outDir, await interleaveFiles()),
};
