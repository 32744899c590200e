import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GlimpseError, loadModel } from '../engine';
import { folderReader } from '../engine/node/folder-reader';
import { createInferenceHost } from './inference-host';
import type { Reply } from './protocol';

describe('a model load that runs out of memory', () => {
  it('is reported as out-of-memory with advice, and the next load works', async () => {
    ort.env.wasm.numThreads = 1;
    const replies: Reply[] = [];
    let loads = 0;
    const host = createInferenceHost({
      // The first load fails as Chromium does when it cannot allocate a model file's ArrayBuffer.
      engine: {
        loadModel: async (reader, options) => {
          if (++loads === 1) throw new RangeError('Array buffer allocation failed');
          return loadModel(ort, reader, options);
        },
      },
      createReader: async (source) => folderReader(join('models', source.id)),
      gpu: undefined,
      post: (reply) => replies.push(reply),
    });
    const source = { id: 'stories260k', baseUrl: '/models/stories260k/' };

    await host.handle({ id: 1, kind: 'load', payload: { source, backend: 'wasm' } });
    const failure = replies.find((r) => r.id === 1 && r.kind === 'error');
    expect(failure?.payload).toMatchObject({
      code: 'out-of-memory',
      message: expect.stringMatching(
        /not enough memory to load stories260k.*Close other tabs.*smaller model/,
      ),
      details: { model: 'stories260k' },
    });

    await host.handle({ id: 2, kind: 'load', payload: { source, backend: 'wasm' } });
    expect(replies.find((r) => r.id === 2 && r.kind === 'result')?.payload).toMatchObject({ kind: 'loaded' });
    await host.handle({ id: 3, kind: 'unload', payload: {} });
  });
});

describe('a model load that runs out of storage', () => {
  it('is reported as quota-exceeded with advice, however deep the browser’s error sits', async () => {
    const replies: Reply[] = [];
    const host = createInferenceHost({
      engine: {
        loadModel: async () => {
          const full = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          throw new GlimpseError('internal', 'Could not record the download.', { cause: full });
        },
      },
      createReader: async (source) => folderReader(join('models', source.id)),
      gpu: undefined,
      post: (reply) => replies.push(reply),
    });
    await host.handle({
      id: 1,
      kind: 'load',
      payload: { source: { id: 'tiny-llava', baseUrl: '/models/tiny-llava/' }, backend: 'wasm' },
    });
    expect(replies.at(-1)?.payload).toMatchObject({
      code: 'quota-exceeded',
      message: expect.stringMatching(/no room left to store tiny-llava.*storage panel/),
    });
  });
});
