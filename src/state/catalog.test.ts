import { describe, expect, it } from 'vitest';
import hubModels from '../../models/registry/hub-models.json';
import { findEntry, parseRegistry, planDownload } from '../storage/hub-registry';
import {
  catalogEntry,
  enteredEntry,
  folderEntry,
  hubCatalog,
  modelSource,
  parseCatalog,
  registryEntry,
} from './catalog';

describe('parseCatalog', () => {
  it('lists each model with its files and total size', () => {
    const catalog = parseCatalog({
      models: [
        {
          id: 'tiny-llava',
          files: [
            { path: 'config.json', size: 100, sha256: 'a' },
            { path: 'onnx/decoder_model_merged.onnx', size: 900, sha256: 'b' },
          ],
        },
      ],
    });
    expect(catalog).toEqual([
      {
        kind: 'served',
        id: 'tiny-llava',
        files: [
          { path: 'config.json', size: 100, sha256: 'a' },
          { path: 'onnx/decoder_model_merged.onnx', size: 900, sha256: 'b' },
        ],
        sizeBytes: 1000,
        test: undefined,
      },
    ]);
  });

  it('marks a package that declares itself a test model, with its note', () => {
    const [entry] = parseCatalog({
      models: [{ id: 'shapes', files: [], test: { note: 'Answers are not about the picture.' } }],
    });
    expect(entry).toMatchObject({ test: { note: 'Answers are not about the picture.' } });
  });

  it('skips a malformed entry or file and keeps the others', () => {
    expect(parseCatalog({ models: [{ name: 'x' }, { id: 'ok', files: [{ path: 'a' }] }] })).toEqual([
      { kind: 'served', id: 'ok', files: [], sizeBytes: 0, test: undefined },
    ]);
  });

  it('refuses a document that is not a model index', () => {
    expect(() => parseCatalog({ items: [] })).toThrow(/model list/);
  });
});

describe('Hub models in the catalog', () => {
  const registry = parseRegistry(hubModels);
  const llava = findEntry(registry, 'llava-hf/llava-interleave-qwen-0.5b-hf');
  if (!llava) throw new Error('The registry lost its default model.');

  it('lists the registry default first, with its licence and a download plan per device', () => {
    const [first] = hubCatalog();
    expect(first).toMatchObject({ kind: 'hub', id: registry.defaultId, licence: 'tongyi-qianwen-research' });
    expect(first?.plans.wasm).toEqual(planDownload(llava, 'wasm'));
    expect(first?.plans['webgpu-f16']?.totalBytes).toBeLessThan(first?.plans.webgpu?.totalBytes ?? 0);
  });

  it('keeps the repository a load lists before it downloads', () => {
    expect(registryEntry(llava).repository).toEqual({
      repo: llava.id,
      revision: 'main',
      endpoint: 'https://huggingface.co',
    });
  });

  it('serves a registry model from a mirror host with the same layout', () => {
    expect(registryEntry(llava, 'https://mirror.example/hf').baseUrl).toBe(
      'https://mirror.example/hf/llava-hf/llava-interleave-qwen-0.5b-hf/resolve/main/',
    );
  });

  it('names an entered URL by its folder and host', () => {
    const plan = planDownload(llava, 'wasm');
    const url = 'https://mirror.example/models/llava-interleave/';
    const location = { id: url, baseUrl: url, revision: undefined, endpoint: undefined };
    expect(enteredEntry(location, plan).label).toBe('llava-interleave (mirror.example)');
  });

  it('lists an entered repository on its own host, with the plan for this device only', () => {
    const plan = planDownload(llava, 'webgpu');
    const entry = enteredEntry(
      {
        id: 'me/model',
        revision: 'main',
        baseUrl: 'https://mirror.example/me/model/resolve/main/',
        endpoint: 'https://mirror.example',
      },
      plan,
    );
    expect(entry.repository).toEqual({
      repo: 'me/model',
      revision: 'main',
      endpoint: 'https://mirror.example',
    });
    expect(Object.keys(entry.plans)).toEqual(['webgpu']);
  });
});

describe('model sources', () => {
  it('reads a served package from the app’s own models folder with its listed files', async () => {
    const files = [{ path: 'config.json', size: 10, sha256: 'a' }];
    expect(await modelSource(catalogEntry('tiny-llava', files), '/models')).toEqual({
      id: 'tiny-llava',
      baseUrl: '/models/tiny-llava/',
      files,
    });
  });

  it('reads a picked folder in place, under an id that cannot clash with a served package', async () => {
    const files = [{ path: 'config.json', file: new Blob(['{}']) }];
    const entry = folderEntry('tiny-llava', files);
    expect(entry).toMatchObject({ id: 'folder:tiny-llava', label: 'tiny-llava', sizeBytes: 2 });
    expect(await modelSource(entry, '/models')).toEqual({ id: 'tiny-llava', folder: files });
  });
});
