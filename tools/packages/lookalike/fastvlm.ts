/**
 * A look-alike of onnx-community/FastVLM-0.5B-ONNX. Its own config files were not seen
 * (data/hub-models.md), so this package follows the upstream apple/FastVLM-0.5B config (model_type
 * llava_qwen2 with the Qwen2 fields at the top level, mm_* fields, image_aspect_ratio 'pad'), the
 * processor of related FastVLM repositories (shortest edge 1024, centre crop 1024, mean 0, std 1) and
 * Qwen2's ChatML template with its default system prompt, and assumes what transformers.js needs:
 * image_token_index = the tokenizer's `<image>`. FastViTHD turns 1024 px into 16 × 16 = 256 tokens (64×
 * downsampling); a SigLIP-style tower with 64 px patches stands in for it at the same input and output.
 * Qwen2-0.5B's grouped KV heads (14 query heads over 2) are kept as 4 over 2.
 */
import type { JsonValue } from '../../tokenizer/tokenizer-json';
import type { ModelPackage } from '../index';
import { type PackageFiles, writePackage } from '../write';
import { lookalikeQwen, lookalikeTailFiles, QWEN_CHATML_TEMPLATE, qwenTokenizer, tinyVision } from './parts';

export const FASTVLM_REPO = 'onnx-community/FastVLM-0.5B-ONNX';

export async function fastVlmFiles(): Promise<PackageFiles> {
  const tokenizer = qwenTokenizer();
  const text = lookalikeQwen(tokenizer, { numKvHeads: 2, seed: 0xfa57, tied: true });
  const vision = tinyVision(
    {
      imageSize: 1024,
      patchSize: 64,
      channels: 3,
      hiddenSize: 16,
      intermediateSize: 32,
      numLayers: 1,
      numHeads: 2,
      layerNormEps: 1e-6,
      featureLayer: -1,
      activation: 'gelu',
    },
    text.config.hiddenSize,
    0xfa58,
  );
  const { id } = tokenizer;
  return new Map<string, Uint8Array | JsonValue>([
    [
      'config.json',
      {
        architectures: ['LlavaQwen2ForCausalLM'],
        bos_token_id: id['<|endoftext|>'],
        eos_token_id: id['<|im_end|>'],
        hidden_act: 'silu',
        hidden_size: text.config.hiddenSize,
        image_aspect_ratio: 'pad',
        image_grid_pinpoints: null,
        image_token_index: id['<image>'],
        intermediate_size: text.config.intermediateSize,
        max_position_embeddings: 32768,
        max_window_layers: 24,
        mm_hidden_size: 3072,
        mm_patch_merge_type: 'flat',
        mm_projector_type: 'mlp2x_gelu',
        mm_use_im_patch_token: false,
        mm_use_im_start_end: false,
        mm_vision_select_feature: 'patch',
        mm_vision_select_layer: -2,
        mm_vision_tower: 'mobileclip_l_1024',
        model_type: 'llava_qwen2',
        num_attention_heads: text.config.numHeads,
        num_hidden_layers: text.config.numLayers,
        num_key_value_heads: text.config.numKvHeads,
        rms_norm_eps: 1e-6,
        rope_theta: 1000000.0,
        sliding_window: 32768,
        tie_word_embeddings: true,
        tokenizer_model_max_length: 8192,
        tokenizer_padding_side: 'right',
        torch_dtype: 'bfloat16',
        use_cache: true,
        use_sliding_window: false,
        vocab_size: tokenizer.vocabSize,
      },
    ],
    [
      'generation_config.json',
      // Assumed as Qwen2-Instruct has it: both <|im_end|> and <|endoftext|> end an answer.
      { bos_token_id: id['<|endoftext|>'], eos_token_id: [id['<|im_end|>'], id['<|endoftext|>']] },
    ],
    [
      'preprocessor_config.json',
      {
        crop_size: { height: 1024, width: 1024 },
        do_center_crop: true,
        do_convert_rgb: true,
        do_normalize: true,
        do_rescale: true,
        do_resize: true,
        image_mean: [0.0, 0.0, 0.0],
        image_processor_type: 'CLIPImageProcessor',
        image_std: [1.0, 1.0, 1.0],
        resample: 3,
        rescale_factor: 0.00392156862745098,
        size: { shortest_edge: 1024 },
      },
    ],
    ...lookalikeTailFiles({
      tokenizer,
      addedTokens: ['<|endoftext|>', '<|im_end|>', '<|im_start|>'],
      tokenizerConfig: { chatTemplate: QWEN_CHATML_TEMPLATE },
      text,
      vision,
      visionDtypes: ['q4', 'q4f16', 'quantized'],
    }),
  ]);
}

export const lookalikeFastVlm: ModelPackage = {
  name: `hub/${FASTVLM_REPO}`,
  test: { note: `Look-alike of ${FASTVLM_REPO} with random weights: answers are not about the picture.` },
  build: async (outDir) => writePackage(outDir, await fastVlmFiles()),
};
