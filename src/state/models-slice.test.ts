import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../engine/types';
import { catalogEntry, folderEntry } from './catalog';
import { loadFraction } from './models-slice';
import { MemoryStorage, testStore } from './test-store';

const info: ModelInfo = {
  location: '/models/tiny-llava/',
  modelType: 'llava',
  backend: 'wasm',
  files: {},
  hasVision: true,
  imageTokenCount: 64,
  contextLength: 512,
  defaults: { temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1, maxNewTokens: 512, draftTokens: 0 },
};

describe('models slice', () => {
  it('walks a load through downloading, compiling and warming up to ready with one overall figure', () => {
    const store = testStore();
    const { loadStarted, loadProgressed, loadSucceeded } = store.getState();
    loadStarted('tiny-llava');
    expect(store.getState().load.status).toBe('downloading');
    loadProgressed({ phase: 'download', file: 'onnx/a.onnx', loadedBytes: 250, totalBytes: 1000 });
    expect(loadFraction(store.getState().load)).toBe(0.25);
    loadProgressed({ phase: 'compile', file: 'onnx/a.onnx', loadedBytes: 1000, totalBytes: 1000 });
    expect(store.getState().load.status).toBe('compiling');
    loadProgressed({ phase: 'warmup', loadedBytes: 1000, totalBytes: 1000 });
    expect(store.getState().load.status).toBe('warming-up');
    loadSucceeded(info, 'wasm');
    expect(store.getState().load).toMatchObject({ status: 'ready', backend: 'wasm', modelId: 'tiny-llava' });
    expect(loadFraction(store.getState().load)).toBe(1);
  });

  it('has no fraction while the total size is unknown', () => {
    const store = testStore();
    store.getState().loadStarted('m');
    store.getState().loadProgressed({ phase: 'download', loadedBytes: 10, totalBytes: undefined });
    expect(loadFraction(store.getState().load)).toBeUndefined();
  });

  it('keeps the error of a failed load and clears it when the next load starts', () => {
    const store = testStore();
    store.getState().loadStarted('m');
    store.getState().loadFailed({ name: 'GlimpseError', code: 'download-failed', message: 'Offline.' });
    expect(store.getState().load).toMatchObject({ status: 'error', error: { code: 'download-failed' } });
    store.getState().loadStarted('m');
    expect(store.getState().load.error).toBeUndefined();
  });

  it('remembers the chosen model across a reload', () => {
    const storage = new MemoryStorage();
    testStore(storage).getState().selectModel('tiny-llava-fused');
    expect(testStore(storage).getState().selectedModelId).toBe('tiny-llava-fused');
  });

  it('remembers whether the GPU runs f16 shaders, so Hub sizes are shown for the right files', () => {
    const store = testStore();
    store.getState().loadStarted('tiny-llava');
    store.getState().loadSucceeded({ ...info, backend: 'webgpu' }, 'webgpu', true);
    expect(store.getState().load).toMatchObject({ backend: 'webgpu', shaderF16: true });
    store.getState().loadStarted('tiny-llava');
    expect(store.getState().load.shaderF16).toBe(false);
  });

  it('adds a picked model to the catalog, replacing one with the same id where it stood', () => {
    const store = testStore();
    store.getState().setCatalog([catalogEntry('tiny-llava', []), folderEntry('a', [])]);
    const picked = folderEntry('a', [{ path: 'config.json', file: new Blob(['{}']) }]);
    store.getState().addCatalogEntry(picked);
    store.getState().addCatalogEntry(folderEntry('b', []));
    expect(store.getState().catalog.map((entry) => entry.id)).toEqual(['tiny-llava', 'folder:a', 'folder:b']);
    expect(store.getState().catalog[1]).toBe(picked);
  });
});
