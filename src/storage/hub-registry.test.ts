import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { deviceClass } from '../engine/model/files';
import { findEntry, parseRegistry, planDownload, planFromFiles } from './hub-registry';

const registryJson: unknown = JSON.parse(
  readFileSync(new URL('../../models/registry/hub-models.json', import.meta.url), 'utf8'),
);

interface JsonModel {
  files: Record<string, unknown>;
  shape: Record<string, unknown>;
}

/** A copy of the registry, and its first model to break one field of. */
function registryCopy(): { broken: unknown; first: JsonModel } {
  const broken = structuredClone(registryJson);
  if (typeof broken !== 'object' || broken === null || !('models' in broken) || !Array.isArray(broken.models))
    throw new Error('unexpected registry shape');
  return { broken, first: broken.models[0] };
}

describe('the Hub registry', () => {
  const registry = parseRegistry(registryJson);

  it('defaults to LLaVA-Interleave 0.5B and lists FastVLM and nanoLLaVA beside it', () => {
    expect(registry.defaultId).toBe('llava-hf/llava-interleave-qwen-0.5b-hf');
    expect(registry.models.map((entry) => [entry.id, entry.licence])).toEqual([
      ['llava-hf/llava-interleave-qwen-0.5b-hf', 'tongyi-qianwen-research'],
      ['onnx-community/FastVLM-0.5B-ONNX', 'apple-amlr'],
      ['Xenova/nanoLLaVA', 'apache-2.0'],
    ]);
  });

  it('plans 8-bit weights and the fp16 embedding table on wasm, with the total download', () => {
    const entry = findEntry(registry, 'llava-hf/llava-interleave-qwen-0.5b-hf');
    if (!entry) throw new Error('missing entry');
    const plan = planDownload(entry, deviceClass('wasm', false));
    expect(plan.files).toEqual([
      { path: 'onnx/vision_encoder_int8.onnx', bytes: 404e6 },
      { path: 'onnx/embed_tokens_fp16.onnx', bytes: 311e6 },
      { path: 'onnx/decoder_model_merged_quantized.onnx', bytes: 482e6 },
    ]);
    expect(plan.totalBytes).toBe(7.04e6 + 404e6 + 311e6 + 482e6);
    expect(plan.complete).toBe(true);
  });

  it('uses half-precision files only where WebGPU has shader-f16', () => {
    for (const entry of registry.models) {
      const withF16 = planDownload(entry, deviceClass('webgpu', true));
      const without = planDownload(entry, deviceClass('webgpu', false));
      expect(withF16.dtype.decoder_model_merged).toBe('q4f16');
      expect(Object.values(without.dtype).some((dtype) => dtype.includes('16'))).toBe(false);
    }
  });

  it("plans nanoLLaVA's vision encoder only among the variants public sources show (fp16, fp32)", () => {
    const entry = findEntry(registry, 'Xenova/nanoLLaVA');
    if (!entry) throw new Error('missing entry');
    expect(planDownload(entry, 'wasm').dtype.vision_encoder).toBe('fp32');
    expect(planDownload(entry, 'webgpu-f16').dtype.vision_encoder).toBe('fp16');
    const plan = planDownload(entry, 'webgpu-f16');
    expect(plan.complete).toBe(false);
    expect(plan.files.find((file) => file.bytes === null)?.path).toBe('onnx/vision_encoder_fp16.onnx');
  });

  it('plans the static decode variant in place of the decoder: on WebGPU in its dtype where it can, on wasm in its dtype only', () => {
    const sizes = new Map([
      ['onnx/vision_encoder_q4.onnx', 100],
      ['onnx/embed_tokens.onnx', 200],
      ['onnx/decoder_model_merged.onnx', 4000],
      ['onnx/decoder_model_merged_q4.onnx', 1000],
      ['onnx/decoder_model_static.onnx', 3990],
      ['onnx/decoder_model_static_q4.onnx', 990],
    ]);
    const webgpu = planFromFiles(sizes, 10, 'webgpu');
    expect(webgpu.files.map((file) => file.path)).toEqual([
      'onnx/vision_encoder_q4.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/decoder_model_static_q4.onnx',
    ]);
    expect(webgpu.totalBytes).toBe(10 + 100 + 200 + 990);
    expect(planFromFiles(sizes, 10, 'wasm').files.map((file) => file.path)).toEqual([
      'onnx/vision_encoder_q4.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/decoder_model_static_q4.onnx',
    ]);
    // Beside an 8-bit decoder wasm takes no variant of another dtype: its answers would differ.
    const eightBit = new Map([...sizes, ['onnx/decoder_model_merged_quantized.onnx', 1500]]);
    const wasm = planFromFiles(eightBit, 10, 'wasm');
    expect(wasm.files.map((file) => file.path)).toContain('onnx/decoder_model_merged_quantized.onnx');
    expect(wasm.files.some((file) => file.path.includes('static'))).toBe(false);
    // A package with only the fp32 variant: the engine loads it for a 4-bit decoder too.
    sizes.delete('onnx/decoder_model_static_q4.onnx');
    expect(planFromFiles(sizes, 10, 'webgpu-f16').files.at(-1)).toEqual({
      path: 'onnx/decoder_model_static.onnx',
      bytes: 3990,
    });
    sizes.delete('onnx/decoder_model_static.onnx');
    expect(planFromFiles(sizes, 10, 'webgpu').files.at(-1)?.path).toBe('onnx/decoder_model_merged_q4.onnx');
  });

  it('rejects a part that lists no file', () => {
    const { broken, first } = registryCopy();
    first.files.vision_encoder = {};
    expect(() => parseRegistry(broken)).toThrow(GlimpseError);
    expect(() => parseRegistry(broken)).toThrow(/files\.vision_encoder lists no file/);
  });

  it("reads each model's question shapes, and rejects one that is not a count", () => {
    expect(findEntry(registry, registry.defaultId)?.shape).toEqual({
      imageTokens: 729,
      textLayers: 24,
      kvHeads: 16,
      headDim: 64,
    });
    const { broken, first } = registryCopy();
    first.shape.kv_heads = 0.5;
    expect(() => parseRegistry(broken)).toThrow(/shape\.kv_heads is not a positive whole number/);
  });
});
