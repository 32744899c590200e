/** The Hugging Face config.json fields of a Llama language model (LlamaConfig in transformers). */
import type { LlamaConfig } from '../../src/toolkit/llama2c/checkpoint';
import { BOS_ID, EOS_ID } from '../llama2c/tokenizer';
import type { JsonObject } from '../tokenizer/tokenizer-json';

export function llamaConfigJson(config: LlamaConfig): JsonObject {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
    head_dim: config.headDim,
    hidden_act: 'silu',
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositions,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: config.numHeads,
    num_hidden_layers: config.numLayers,
    num_key_value_heads: config.numKvHeads,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}

export function generationConfigJson(config: LlamaConfig): JsonObject {
  return { bos_token_id: BOS_ID, eos_token_id: EOS_ID, max_length: config.maxPositions };
}
