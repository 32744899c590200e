import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConvert } from '../../src/cli/convert';
import { attributes, fields, strings } from '../../src/engine/runtime/onnx-read';
import { loadGreedyFromBos } from '../data/stories260k';
import { loadStories260kModel, stories260kFiles } from '../packages/stories260k';
import { greedyIds, openPackageSessions } from '../testing/ort-greedy';
import { textTensors, writeHfCheckpoint } from './hf-checkpoints';

/** Each MatMulNBits node of an ONNX file: its inputs and block_size (ModelProto.graph 7, GraphProto.node 1). */
function matMulNBitsNodes(path: string): { inputs: string[]; blockSize: unknown }[] {
  const graph = fields(readFileSync(path)).find((f) => f.number === 7)?.body;
  if (!graph) throw new Error(`${path} has no graph`);
  return fields(graph)
    .flatMap((f) => (f.number === 1 && f.body ? [f.body] : []))
    .filter((node) => strings(node, 4)[0] === 'MatMulNBits')
    .map((node) => ({ inputs: strings(node, 1), blockSize: attributes(node).get('block_size') }));
}

function captureIo() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (text: string) => {
      out.stdout += text;
    },
    stderr: (text: string) => {
      out.stderr += text;
    },
  };
  return { out, io };
}

describe('glimpse convert', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-convert-'));
  const checkpoint = join(root, 'stories260k-hf');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    // stories260K as LlamaForCausalLM: the q/k rows already permuted to the half-split rotary layout,
    // the head tied to the embeddings (no lm_head.weight), two shards with an index, as bf16 would lose bits.
    const { weights } = await loadStories260kModel();
    const { lmHead: _tied, ...untied } = weights;
    writeHfCheckpoint(checkpoint, textTensors(untied, 'model.', 'lm_head.weight'), await stories260kFiles(), {
      dtype: 'F32',
      shards: 2,
    });
  });

  it('turns the stories260K checkpoint back into a package that reproduces the documented greedy sample', async () => {
    const to = join(root, 'stories260k-package');
    const { out, io } = captureIo();
    expect(await runConvert(['--from', checkpoint, '--to', to], io)).toBe(0);
    expect(readdirSync(join(to, 'onnx')).sort()).toEqual([
      'decoder_model_merged.onnx',
      'decoder_model_static.onnx',
      'embed_tokens.onnx',
    ]);
    expect(readdirSync(to).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(out.stderr).toMatch(/\[decoder_model_merged\] model\.layers\.4\.mlp\.down_proj\.weight 43 KB/);
    expect(out.stderr).toMatch(/read 1016 KB of 1016 KB \(100%\)/);
    expect(out.stdout).toMatch(/decoder_model_merged\s+\d/);

    const documented = await loadGreedyFromBos();
    const sessions = await openPackageSessions(to);
    expect(await greedyIds(sessions, [1], documented.ids.length)).toEqual(documented.ids);
    await sessions.release();
  });

  it('names the architecture it cannot convert and what it supports', async () => {
    const dir = join(root, 'gemma');
    writeHfCheckpoint(dir, [{ name: 'x', shape: [1], values: Float32Array.of(0) }], new Map(), {
      dtype: 'F32',
    });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'gemma', architectures: ['GemmaForCausalLM'] }),
    );
    const { out, io } = captureIo();
    expect(await runConvert(['--from', dir, '--to', join(root, 'gemma-out')], io)).toBe(1);
    expect(out.stderr).toMatch(
      /model_type 'gemma' \(architectures \["GemmaForCausalLM"\]\) is not supported; glimpse convert reads LlavaForConditionalGeneration \(model_type llava\) and LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM/,
    );
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        model_type: 'llava',
        image_token_index: 32000,
        text_config: { model_type: 'llama' },
        vision_config: { model_type: 'pixtral' },
      }),
    );
    expect(await runConvert(['--from', dir, '--to', join(root, 'gemma-out')], io)).toBe(1);
    expect(out.stderr).toMatch(
      /vision tower 'pixtral' is not supported; glimpse convert builds clip_vision_model, siglip_vision_model/,
    );
  });

  it('names a tensor the checkpoint lacks', async () => {
    const { out, io } = captureIo();
    const dir = join(root, 'no-norm');
    const { weights } = await loadStories260kModel();
    const tensors = textTensors(weights, 'model.', 'lm_head.weight').filter(
      (t) => t.name !== 'model.layers.2.post_attention_layernorm.weight',
    );
    writeHfCheckpoint(dir, tensors, await stories260kFiles(), { dtype: 'F32' });
    expect(await runConvert(['--from', dir, '--to', join(root, 'no-norm-out')], io)).toBe(1);
    expect(out.stderr).toMatch(
      /The checkpoint has no tensor model\.layers\.2\.post_attention_layernorm\.weight\./,
    );
  });

  it('writes q4 blocks of the size asked for, each with its zero points, and rejects a size MatMulNBits lacks', async () => {
    for (const [args, blockSize] of [
      [[], 32],
      [['--block-size', '16'], 16],
    ] as const) {
      const to = join(root, `q4-${blockSize}`);
      const { io } = captureIo();
      expect(await runConvert(['--from', checkpoint, '--to', to, '--dtype', 'q4', ...args], io)).toBe(0);
      for (const part of ['decoder_model_merged_q4', 'decoder_model_static_q4']) {
        const nodes = matMulNBitsNodes(join(to, 'onnx', `${part}.onnx`));
        // Per layer q, k, v, o, gate, up, down; and the lm_head.
        expect(nodes.length, part).toBe(5 * 7 + 1);
        for (const node of nodes) {
          expect(node.blockSize).toBe(blockSize);
          expect(node.inputs[3]).toMatch(/weight_zero_points$/);
        }
      }
    }
    const { out, io } = captureIo();
    expect(await runConvert(['--from', 'a', '--to', 'b', '--dtype', 'q4', '--block-size', '48'], io)).toBe(2);
    expect(out.stderr).toMatch(/--block-size must be one of 16, 32, 64, 128, not '48'\./);
    const unused = captureIo();
    expect(await runConvert(['--from', 'a', '--to', 'b', '--block-size', '16'], unused.io)).toBe(2);
    expect(unused.out.stderr).toMatch(/--block-size applies to --dtype q4 and q4f16 only, not fp32\./);
  });

  it('rejects an unknown dtype with the usage', async () => {
    const { out, io } = captureIo();
    expect(await runConvert(['--from', 'a', '--to', 'b', '--dtype', 'int3'], io)).toBe(2);
    expect(out.stderr).toMatch(/--dtype must be one of fp32, fp16, q4, q4f16/);
  });
});
