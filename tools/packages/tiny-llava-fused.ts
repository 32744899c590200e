/**
 * models/tiny-llava-fused: the tiny-llava weights in exactly the layout of llava-hf / transformers.js
 * exports — the projector fused into onnx/vision_encoder.onnx (pixel_values → image_features), the
 * CLIP image processor, processor_config.json and chat_template.json — so that transformers.js'
 * LlavaForConditionalGeneration loads it: our cross-check and performance baseline. Float32, plus `_q4`
 * vision encoder and decoder for a q4 baseline (transformers.js: dtype { embed_tokens: 'fp32',
 * vision_encoder: 'q4', decoder_model_merged: 'q4' }).
 */
import { buildLlamaDecoder, buildStaticDecoder, floatLinear } from '../../src/toolkit/decoder/llama-graph';
import { q4Linear } from '../../src/toolkit/quantize/matmulnbits';
import { buildFusedVisionEncoder } from '../../src/toolkit/vision/clip-graph';
import type { ModelPackage } from './index';
import { clipPreprocessorJson, IMAGE_TOKEN, loadTinyLlavaModel, tinyLlavaSharedFiles } from './tiny-llava';
import { LLAVA_V1_CHAT_TEMPLATE } from './tiny-llava-template';
import { type PackageFiles, writePackage } from './write';

export async function tinyLlavaFusedFiles(): Promise<PackageFiles> {
  const model = await loadTinyLlavaModel();
  const files = tinyLlavaSharedFiles(model);
  files.set('preprocessor_config.json', clipPreprocessorJson(model));
  files.set('processor_config.json', {
    image_token: IMAGE_TOKEN,
    // transformers.js adds this to (side/patch)², so 0 gives the 64 CLS-free features (see REFERENCES.md).
    num_additional_image_tokens: 0,
    patch_size: model.vision.config.patchSize,
    processor_class: 'LlavaProcessor',
    vision_feature_select_strategy: 'default',
  });
  files.set('chat_template.json', { chat_template: LLAVA_V1_CHAT_TEMPLATE });
  files.set(
    'onnx/vision_encoder.onnx',
    buildFusedVisionEncoder(model.vision, model.projector, { linear: floatLinear }).model,
  );
  files.set(
    'onnx/vision_encoder_q4.onnx',
    buildFusedVisionEncoder(model.vision, model.projector, { linear: q4Linear() }).model,
  );
  files.set('onnx/decoder_model_merged_q4.onnx', buildLlamaDecoder(model.text, { linear: q4Linear() }).model);
  // The static-cache step graphs for the captured WebGPU decode (static-decoder.ts), one per decoder dtype.
  files.set('onnx/decoder_model_static.onnx', buildStaticDecoder(model.text, { linear: floatLinear }).model);
  files.set(
    'onnx/decoder_model_static_q4.onnx',
    buildStaticDecoder(model.text, { linear: q4Linear() }).model,
  );
  return files;
}

export const tinyLlavaFused: ModelPackage = {
  name: 'tiny-llava-fused',
  test: { note: 'Random vision weights: answers are not about the picture.' },
  build: async (outDir) => writePackage(outDir, await tinyLlavaFusedFiles()),
};
