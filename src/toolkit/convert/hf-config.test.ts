import { describe, expect, it } from 'vitest';
import { modelSpec } from './hf-config';

const MISTRAL_7B = {
  architectures: ['MistralForCausalLM'],
  model_type: 'mistral',
  hidden_act: 'silu',
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  sliding_window: 4096,
  tie_word_embeddings: false,
  vocab_size: 32000,
};

describe('config.json of the checkpoints glimpse convert reads', () => {
  it('reads Mistral as a Llama decoder and says that the sliding window is not built', () => {
    const spec = modelSpec(MISTRAL_7B);
    if (spec.kind !== 'causal-lm') throw new Error('expected a causal LM');
    expect(spec.text.config).toEqual({
      hiddenSize: 4096,
      intermediateSize: 14336,
      numLayers: 32,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      vocabSize: 32000,
      maxPositions: 32768,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
    });
    expect(spec.text.notes).toEqual([
      expect.stringMatching(/sliding-window attention \(4096 tokens\) is not built/),
    ]);
    expect(modelSpec({ ...MISTRAL_7B, sliding_window: null }).kind).toBe('causal-lm');
  });

  it('reads llava-1.5-7b-hf: CLIP ViT-L/14-336 at layer -2 without the CLS token, Vicuna text model', () => {
    const spec = modelSpec({
      architectures: ['LlavaForConditionalGeneration'],
      model_type: 'llava',
      image_token_index: 32000,
      projector_hidden_act: 'gelu',
      vision_feature_layer: -2,
      vision_feature_select_strategy: 'default',
      text_config: {
        model_type: 'llama',
        hidden_size: 4096,
        intermediate_size: 11008,
        num_attention_heads: 32,
        num_hidden_layers: 32,
        vocab_size: 32064,
        max_position_embeddings: 4096,
        rms_norm_eps: 1e-5,
      },
      vision_config: {
        model_type: 'clip_vision_model',
        hidden_size: 1024,
        intermediate_size: 4096,
        num_hidden_layers: 24,
        num_attention_heads: 16,
        image_size: 336,
        patch_size: 14,
        projection_dim: 768,
      },
    });
    if (spec.kind !== 'llava') throw new Error('expected llava');
    expect(spec.llava.vision).toMatchObject({
      hiddenAct: 'quick_gelu',
      layerNormEps: 1e-5,
      imageSize: 336,
      patchSize: 14,
    });
    expect(spec.llava.text.config).toMatchObject({
      numKvHeads: 32,
      headDim: 128,
      ropeTheta: 10000,
      vocabSize: 32064,
    });
    expect(spec.llava).toMatchObject({ featureLayer: -2, selectStrategy: 'default', imageTokenIndex: 32000 });
  });

  it('refuses what the decoder does not build, naming it', () => {
    expect(() => modelSpec({ ...MISTRAL_7B, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(
      /rope_scaling \{"type":"linear","factor":2\} is not supported/,
    );
    expect(() => modelSpec({ ...MISTRAL_7B, hidden_act: 'gelu' })).toThrow(
      /hidden_act 'gelu' is not supported \(only silu\)/,
    );
    expect(() => modelSpec({ ...MISTRAL_7B, hidden_size: undefined })).toThrow(
      /config\.json has no number hidden_size/,
    );
  });
});
