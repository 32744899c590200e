/**
 * A model package that breaks on its way over HTTP: each failure reaches the caller of loadModel as a
 * GlimpseError that names the file (and the field), through the same reader and server code the app uses.
 * (A wrong explicit dtype and a decoder whose inputs do not match are in src/engine/model/load.test.ts.)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GlimpseError } from '../engine/errors';
import { loadModel } from '../engine/model/load';
import { createHttpReader } from './http-reader';
import { type ModelServer, startModelServer, truncatedBody } from './test-model-server';

const decoderPath = 'onnx/decoder_model_merged.onnx';
/** What the wasm backend reads in the merged decoder's place (engine/model/load.ts). */
const staticPath = 'onnx/decoder_model_static.onnx';
const stories: Record<string, Uint8Array> = {};

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  const root = 'models/stories260k';
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    stories[relative(root, path)] = new Uint8Array(await readFile(path));
  }
});

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function loadFailure(files: Record<string, Uint8Array | string>, cut?: string): Promise<GlimpseError> {
  const running = await startModelServer(
    Object.fromEntries(Object.entries(files).map(([p, b]) => [`pkg/${p}`, b])),
  );
  server = running;
  const bytes = cut === undefined ? undefined : files[cut];
  if (bytes instanceof Uint8Array) {
    running.intercept((req, res) =>
      req.url?.endsWith(cut ?? '') ? truncatedBody(bytes, bytes.byteLength >> 1)(req, res) : false,
    );
  }
  const reader = createHttpReader('/models/pkg', { origin: running.origin });
  const err = await loadModel(ort, reader, { backend: 'wasm' }).catch((e: unknown) => e);
  if (!(err instanceof GlimpseError)) throw new Error(`expected a GlimpseError, got ${String(err)}`);
  return err;
}

describe('a model package over HTTP', () => {
  it('loads when whole (the baseline the failures below break)', async () => {
    const running = await startModelServer(
      Object.fromEntries(Object.entries(stories).map(([p, b]) => [`pkg/${p}`, b])),
    );
    server = running;
    const model = await loadModel(ort, createHttpReader('/models/pkg', { origin: running.origin }), {
      backend: 'wasm',
    });
    expect(model.info.hasVision).toBe(false);
    await model.dispose();
  });

  it('names the file the server answers 404 for', async () => {
    const { [decoderPath]: _, [staticPath]: __, ...withoutDecoder } = stories;
    const err = await loadFailure(withoutDecoder);
    expect(err).toMatchObject({ code: 'package-file-missing', details: { file: decoderPath } });
    expect(err.message).toContain(decoderPath);
  });

  it('names the file whose download is cut short', async () => {
    const err = await loadFailure(stories, staticPath);
    expect(err).toMatchObject({ code: 'download-failed', details: { file: staticPath } });
    expect(err.message).toContain(staticPath);
  });

  it('names the config field that is missing', async () => {
    const config = JSON.parse(new TextDecoder().decode(stories['config.json']));
    delete config.max_position_embeddings;
    const err = await loadFailure({ ...stories, 'config.json': JSON.stringify(config) });
    expect(err).toMatchObject({
      code: 'package-invalid',
      details: { file: 'config.json', field: 'max_position_embeddings' },
    });
  });

  it('names a config file that is not JSON', async () => {
    const err = await loadFailure({ ...stories, 'config.json': '{ "model_type": ' });
    expect(err).toMatchObject({ code: 'package-invalid', details: { file: 'config.json' } });
  });
});
