import { createHash } from 'node:crypto';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { samplePixelValues } from '../vision/sample-images';
import { loadTinyLlavaModel, tinyLlavaFiles } from './tiny-llava';
import { tinyLlavaFusedFiles } from './tiny-llava-fused';
import { type PackageFiles, stableJson } from './write';

function digests(files: PackageFiles): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, content] of files) {
    const bytes = content instanceof Uint8Array ? content : new TextEncoder().encode(stableJson(content));
    out.set(path, createHash('sha256').update(bytes).digest('hex'));
  }
  return out;
}

function bytesOf(files: PackageFiles, path: string): Uint8Array {
  const content = files.get(path);
  if (!(content instanceof Uint8Array)) throw new Error(`package has no binary ${path}`);
  return content;
}

function jsonOf(files: PackageFiles, path: string): object {
  const content = files.get(path);
  if (
    content === undefined ||
    content === null ||
    typeof content !== 'object' ||
    content instanceof Uint8Array
  ) {
    throw new Error(`package has no JSON object ${path}`);
  }
  return content;
}

async function runOne(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model);
  const result = (await session.run(feeds))[output];
  if (result === undefined) throw new Error(`no output ${output}`);
  return result;
}

function floats(t: ort.Tensor): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`expected float32, got ${t.type}`);
  return t.data;
}

describe('models/tiny-llava and models/tiny-llava-fused', () => {
  let split: PackageFiles;
  let fused: PackageFiles;
  let pixels: ort.Tensor;

  beforeAll(async () => {
    [split, fused] = await Promise.all([tinyLlavaFiles(), tinyLlavaFusedFiles()]);
    pixels = new ort.Tensor('float32', await samplePixelValues(64), [2, 3, 64, 64]);
  });

  it('are reproducible byte for byte', async () => {
    const [again, fusedAgain] = await Promise.all([tinyLlavaFiles(), tinyLlavaFusedFiles()]);
    expect(digests(again)).toEqual(digests(split));
    expect(digests(fusedAgain)).toEqual(digests(fused));
  });

  it('hold the files of their layouts', () => {
    expect([...split.keys()].sort()).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/projector.onnx',
      'onnx/vision_encoder.onnx',
      'onnx/vision_encoder_q4.onnx',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect([...fused.keys()].sort()).toEqual([
      'chat_template.json',
      'config.json',
      'generation_config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/decoder_model_static.onnx',
      'onnx/decoder_model_static_q4.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder.onnx',
      'onnx/vision_encoder_q4.onnx',
      'preprocessor_config.json',
      'processor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(jsonOf(split, 'config.json')).toMatchObject({
      model_type: 'llava',
      image_token_index: 512,
      vision_feature_layer: -2,
      vision_feature_select_strategy: 'default',
      text_config: { model_type: 'llama', vocab_size: 512, hidden_size: 64 },
      vision_config: {
        model_type: 'clip_vision_model',
        image_size: 64,
        patch_size: 8,
        hidden_act: 'quick_gelu',
      },
    });
    expect(jsonOf(split, 'preprocessor_config.json')).toMatchObject({ do_pad: true, resample: 3 });
  });

  it('tokenize <image> as the one added token, id 512', () => {
    const tokenizer = new Tokenizer(jsonOf(split, 'tokenizer.json'), jsonOf(split, 'tokenizer_config.json'));
    const ids = tokenizer.encode('USER: <image>\nHi').ids;
    expect(ids[0]).toBe(1);
    expect(ids.filter((id) => id === 512)).toHaveLength(1);
    expect(tokenizer.decode(ids, { skip_special_tokens: false })).toContain('<image>');
  });

  it('give the same image features from the split vision encoder and projector as from the fused encoder', async () => {
    const features = await runOne(
      bytesOf(split, 'onnx/vision_encoder.onnx'),
      { pixel_values: pixels },
      'vision_features',
    );
    const viaProjector = await runOne(
      bytesOf(split, 'onnx/projector.onnx'),
      { vision_features: features },
      'image_features',
    );
    const direct = await runOne(
      bytesOf(fused, 'onnx/vision_encoder.onnx'),
      { pixel_values: pixels },
      'image_features',
    );
    expect(direct.dims).toEqual([2, 64, 64]);
    const a = floats(viaProjector);
    const b = floats(direct);
    expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] ?? 0))))).toBeLessThan(1e-5);
  });

  it('scale image features to the size of the token embeddings they stand in for', async () => {
    const model = await loadTinyLlavaModel();
    const rms = (values: Float32Array): number =>
      Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    const tokens = model.text.embedTokens.subarray(0, 512 * 64);
    const image = floats(
      await runOne(bytesOf(fused, 'onnx/vision_encoder.onnx'), { pixel_values: pixels }, 'image_features'),
    );
    const ratio = rms(image) / rms(tokens);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
  });
});
