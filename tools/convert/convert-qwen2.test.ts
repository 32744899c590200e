import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuStaticDecoder } from '../../src/engine/decoder/cpu-static-decoder';
import { cpuStaticGraph } from '../../src/engine/decoder/cpu-static-graph';
import type { DecoderInput } from '../../src/engine/decoder/decoder';
import { DTYPE_SUFFIX } from '../../src/engine/model/files';
import type { Ort } from '../../src/engine/runtime/ort';
import { createSession } from '../../src/engine/runtime/session';
import { CPU_ATTENTION_KINDS, type CpuAttentionKind } from '../../src/engine/types';
import { convertCheckpoint } from '../../src/toolkit/convert/convert';
import type { PackageDtype } from '../../src/toolkit/decoder/linears';
import type { LlamaConfig } from '../../src/toolkit/llama2c/checkpoint';
import { bfloat16ToFloat32, toBfloat16Bits } from '../../src/toolkit/safetensors/half';
import { HfDecoderReference, type ReferenceWeights } from '../reference/hf-decoder';
import { logitsInChunks } from '../testing/ort-greedy';
import { openSession, openTextSessions } from '../testing/package-sessions';
import { randomQwen2Weights, CONFIG as SMALL_QWEN2 } from '../testing/random-decoder';
import { textTensors, writeHfCheckpoint } from './hf-checkpoints';

const CONFIG: LlamaConfig = { ...SMALL_QWEN2, vocabSize: 300, maxPositions: 512, ropeTheta: 1e6 };
const IDS = [5, 17, 250, 3, 99, 42, 7, 123, 200, 1, 64, 299];

/** Seeded Qwen2-shaped weights, rounded to bfloat16 so that the bf16 checkpoint holds them exactly. */
function randomQwen2(seed: number): ReferenceWeights {
  return randomQwen2Weights(CONFIG, seed, (values) => bfloat16ToFloat32(toBfloat16Bits(values)));
}

function qwen2ConfigJson(): object {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_act: 'silu',
    hidden_size: CONFIG.hiddenSize,
    intermediate_size: CONFIG.intermediateSize,
    num_hidden_layers: CONFIG.numLayers,
    num_attention_heads: CONFIG.numHeads,
    num_key_value_heads: CONFIG.numKvHeads,
    vocab_size: CONFIG.vocabSize,
    max_position_embeddings: CONFIG.maxPositions,
    rms_norm_eps: CONFIG.rmsNormEps,
    rope_theta: CONFIG.ropeTheta,
    sliding_window: 32,
    use_sliding_window: false,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
  };
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((row, t) => {
    row.forEach((v, i) => {
      max = Math.max(max, Math.abs(v - (b[t]?.[i] ?? Number.NaN)));
    });
  });
  return max;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((v, i) => {
    const w = b[i] ?? 0;
    dot += v * w;
    aa += v * v;
    bb += w * w;
  });
  return dot / Math.sqrt(aa * bb);
}

function argmaxes(rows: readonly Float32Array[]): number[] {
  return rows.map((row) => row.indexOf(Math.max(...row)));
}

describe('glimpse convert on a Qwen2ForCausalLM checkpoint (q/k/v biases, rope_theta 1e6, tied head, bf16)', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-convert-qwen2-'));
  const checkpoint = join(root, 'hf');
  const weights = randomQwen2(0x9e2);
  let reference: Float32Array[];
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(() => {
    const { lmHead: _tied, ...untied } = weights;
    writeHfCheckpoint(checkpoint, textTensors(untied, 'model.', 'lm_head.weight'), new Map(), {
      dtype: 'BF16',
    });
    writeFileSync(join(checkpoint, 'config.json'), JSON.stringify(qwen2ConfigJson()));
    writeFileSync(
      join(checkpoint, 'tokenizer.json'),
      JSON.stringify({ version: '1.0', model: { type: 'BPE' } }),
    );
    const model = new HfDecoderReference(weights);
    reference = IDS.map((id) => model.forward(id));
  });

  async function convertedLogits(dtype: PackageDtype): Promise<Float32Array[]> {
    const to = join(root, 'package');
    await convertCheckpoint({ from: checkpoint, to, dtype });
    const suffix = DTYPE_SUFFIX[dtype];
    const { numLayers, numKvHeads, headDim } = CONFIG;
    const sessions = await openTextSessions(to, suffix, { numLayers, numKvHeads, headDim });
    // A prefill of 5, then one token at a time: the KV cache and the position ids are exercised too.
    const logits = [...(await logitsInChunks(sessions, IDS.slice(0, 5), 5))];
    const rest = await logitsInChunks(sessions, IDS, 1);
    logits.push(...rest.slice(5));
    await sessions.release();
    return logits;
  }

  /**
   * The same runs through the converted decoder_model_static as the cpu backend runs it (rewired, its KV
   * cache kept in place): heads of 16 values make the graph rotate inside GroupQueryAttention (do_rotary),
   * at positions it takes from the lengths, with the q/k/v biases and rope_theta 1e6 of Qwen2.
   */
  async function convertedStaticLogits(attention: CpuAttentionKind): Promise<Float32Array[]> {
    const to = join(root, `package-static-${attention}`);
    await convertCheckpoint({ from: checkpoint, to, dtype: 'fp32' });
    const file = 'onnx/decoder_model_static.onnx';
    const bytes = readFileSync(join(to, file));
    expect(bytes.includes('do_rotary')).toBe(true);
    const runtime = ortNode as unknown as Ort;
    // Under the two-part attention rotary is applied outside GroupQueryAttention.
    const rewired = cpuStaticGraph(bytes, { attention });
    expect(rewired.attention).toBe(attention);
    const session = await createSession(runtime, 'cpu', { file, bytes: rewired.bytes, externalData: [] });
    const { numLayers: layers, numKvHeads: kvHeads, headDim, hiddenSize: hidden } = CONFIG;
    const decoder = new CpuStaticDecoder(runtime, session, {
      layers,
      kvHeads,
      headDim,
      maxLength: 64,
      positionIds: false,
      attention: rewired.attention,
    });
    const embed = await openSession(join(to, 'onnx/embed_tokens.onnx'));
    const embeds = async (ids: readonly number[]): Promise<DecoderInput> => {
      const input_ids = new ortWeb.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
      const out = (await embed.run({ input_ids })).inputs_embeds?.data;
      if (!(out instanceof Float32Array)) throw new Error('no inputs_embeds');
      return { kind: 'embeds', data: out, length: ids.length, hidden };
    };
    const sequence = decoder.open();
    const rows = [...(await sequence.run(await embeds(IDS.slice(0, 5)), 5))];
    for (const id of IDS.slice(5)) rows.push(...(await sequence.run(await embeds([id]), 1)));
    await embed.release();
    await session.release();
    return rows.map((row) => {
      if (!(row instanceof Float32Array)) throw new Error('logits expected');
      return row;
    });
  }

  it('gives the logits of the independent TypeScript forward pass, float32', async () => {
    const logits = await convertedLogits('fp32');
    const scale = Math.max(...reference.flatMap((row) => Array.from(row, Math.abs)));
    expect(scale).toBeGreaterThan(1);
    expect(maxAbsDiff(logits, reference)).toBeLessThan(1e-4 * scale);
  });

  it.each(CPU_ATTENTION_KINDS)(
    'gives them through the static decoder on the cpu backend too (do_rotary), float32, %s attention',
    async (attention) => {
      const logits = await convertedStaticLogits(attention);
      const scale = Math.max(...reference.flatMap((row) => Array.from(row, Math.abs)));
      expect(logits.length).toBe(reference.length);
      expect(maxAbsDiff(logits, reference)).toBeLessThan(1e-4 * scale);
    },
  );

  // Floors a little below what was measured when written (in parentheses); all is deterministic.
  it('stays close to it in fp16 (bf16 weights fit half floats), q4, q4f16 and 8-bit (top-1, direction)', async () => {
    const scale = Math.max(...reference.flatMap((row) => Array.from(row, Math.abs)));
    expect(maxAbsDiff(await convertedLogits('fp16'), reference)).toBeLessThan(1e-4 * scale); // (1.7e-5)
    const top1 = argmaxes(reference);
    for (const dtype of ['q4', 'q4f16', 'quantized', 'int8'] as const) {
      const logits = await convertedLogits(dtype);
      expect(argmaxes(logits).filter((id, t) => id === top1[t]).length, dtype).toBeGreaterThanOrEqual(11); // (12)
      const worstCosine = Math.min(
        ...logits.map((row, t) => cosine(row, reference[t] ?? new Float32Array())),
      );
      // 8-bit weights per channel: 12/12 top-1 and 0.9997 when written; 4-bit: 12/12 and 0.973.
      expect(worstCosine, dtype).toBeGreaterThan(dtype === 'quantized' || dtype === 'int8' ? 0.999 : 0.95);
    }
  });
});
