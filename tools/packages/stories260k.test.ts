import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories260k } from './stories260k';

async function fileHashes(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const hashes: Record<string, string> = {};
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    hashes[path.slice(dir.length + 1)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return hashes;
}

describe('models/stories260k package', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'glimpse-stories-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is the same bytes, file for file, when built twice', async () => {
    await stories260k.build(join(root, 'a'));
    await stories260k.build(join(root, 'b'));
    const a = await fileHashes(join(root, 'a'));
    expect(Object.keys(a).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_static.onnx',
      'onnx/embed_tokens.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(await fileHashes(join(root, 'b'))).toEqual(a);
  });

  it('declares the Llama configuration of stories260K', async () => {
    const config = JSON.parse(await readFile(join(root, 'a', 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      intermediate_size: 172,
      num_hidden_layers: 5,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 8,
      vocab_size: 512,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      bos_token_id: 1,
      eos_token_id: 2,
      tie_word_embeddings: true,
    });
  });
});
