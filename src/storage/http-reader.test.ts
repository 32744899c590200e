import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { createHttpReader } from './http-reader';
import { type ModelServer, startModelServer, truncatedBody } from './test-model-server';

const weights = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer({ 'tiny/config.json': '{}', 'tiny/onnx/model.onnx': weights });
});
afterAll(() => server.close());

describe('createHttpReader', () => {
  it('streams a file with progress up to its full size', async () => {
    const reader = createHttpReader('/models/tiny', { origin: server.origin });
    const progress: [number, number | undefined][] = [];
    const bytes = await reader.read('onnx/model.onnx', {
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expect(bytes && Buffer.from(bytes).equals(weights)).toBe(true);
    expect(progress.at(-1)).toEqual([weights.byteLength, weights.byteLength]);
    expect(reader.location).toBe(`${server.origin}/models/tiny/`);
  });

  it('returns null for a file the package does not have', async () => {
    const reader = createHttpReader('/models/tiny', { origin: server.origin });
    expect(await reader.read('onnx/projector.onnx')).toBeNull();
  });

  it('fails with download-failed naming the file when the body is cut short', async () => {
    server.intercept(truncatedBody(weights, 1000));
    const reader = createHttpReader('/models/tiny', { origin: server.origin });
    const failure = await reader.read('onnx/model.onnx').catch((err: unknown) => err);
    server.intercept(undefined);
    expect(failure).toBeInstanceOf(GlimpseError);
    expect(failure).toMatchObject({ code: 'download-failed', details: { file: 'onnx/model.onnx' } });
  });

  it('fails with download-failed when the server cannot be reached', async () => {
    const reader = createHttpReader('http://127.0.0.1:9/models/tiny', { origin: 'http://127.0.0.1:9' });
    await expect(reader.read('config.json')).rejects.toMatchObject({ code: 'download-failed' });
  });

  it('reports a stopped read as aborted', async () => {
    const reader = createHttpReader('/models/tiny', { origin: server.origin });
    await expect(reader.read('config.json', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'aborted',
    });
  });

  it('refuses plain http on another origin but takes https anywhere', () => {
    expect(() => createHttpReader('http://example.com/m', { origin: server.origin })).toThrow(/https/);
    expect(
      createHttpReader('https://huggingface.co/org/repo/resolve/main', { origin: server.origin }).url(
        'onnx/a b.onnx',
      ),
    ).toBe('https://huggingface.co/org/repo/resolve/main/onnx/a%20b.onnx');
  });
});
