import { describe, expect, it } from 'vitest';
import { createFolderReader, pathInFolder } from './folder-reader';

describe('folder reader', () => {
  const config = new Blob(['{"model_type":"llava"}']);
  const reader = createFolderReader('my-model', [
    { path: 'config.json', file: config },
    { path: 'onnx/embed_tokens.onnx', file: new Blob([new Uint8Array(300_000).fill(7)]) },
  ]);

  it('reads a picked file by its path in the folder', async () => {
    expect(new TextDecoder().decode((await reader.read('config.json')) ?? undefined)).toBe(
      '{"model_type":"llava"}',
    );
    expect(reader.location).toBe('my-model');
  });

  it('answers null for a file the folder does not have, as a 404 does', async () => {
    expect(await reader.read('tokenizer.json')).toBeNull();
  });

  it('reports progress up to the file size and returns every byte', async () => {
    const seen: number[] = [];
    const bytes = await reader.read('onnx/embed_tokens.onnx', { onProgress: (loaded) => seen.push(loaded) });
    expect(bytes?.byteLength).toBe(300_000);
    expect(bytes?.every((b) => b === 7)).toBe(true);
    expect(seen.at(-1)).toBe(300_000);
  });

  it('stops with an aborted error when the load is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(reader.read('onnx/embed_tokens.onnx', { signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
  });

  it('takes the path after the folder name from a directory input', () => {
    expect(pathInFolder('llava/onnx/decoder_model_merged_q4.onnx')).toBe('onnx/decoder_model_merged_q4.onnx');
    expect(pathInFolder('config.json')).toBe('config.json');
  });
});
