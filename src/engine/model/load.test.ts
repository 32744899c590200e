/** Loading packages: file choice per dtype, external data, progress, and clear failures for packages that do not fit. */
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../toolkit/onnx/graph';
import { GlimpseError } from '../errors';
import { folderReader } from '../node/folder-reader';
import type { LoadProgress, ReadOptions } from '../types';
import { loadModel } from './load';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const STORIES = join(MODELS, 'stories260k');
const LAYERS = 5;

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/**
 * A copy of stories260k whose decoder is replaced by `decoder` (or removed when null). Its static-cache
 * graph goes too: the CPU backends would read it in the merged decoder's place.
 */
async function storiesWith(
  decoder: { model: Uint8Array; externalData?: Uint8Array } | null,
): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'glimpse-load-'));
  folders.push(folder);
  await cp(STORIES, folder, { recursive: true });
  await rm(join(folder, 'onnx/decoder_model_static.onnx'));
  const file = join(folder, 'onnx/decoder_model_merged.onnx');
  await rm(file);
  if (decoder) {
    await writeFile(file, decoder.model);
    if (decoder.externalData) await writeFile(`${file}_data`, decoder.externalData);
  }
  return folder;
}

/** A stand-in decoder with the stories260k shapes: logits from a projection, the past passed through. */
function fakeDecoder(options: { attentionMask: boolean; externalData: boolean }) {
  const g = new GraphBuilder('fake_decoder');
  const embeds = g.input('inputs_embeds', 'float32', ['batch', 'sequence', 64]);
  if (options.attentionMask) g.input('attention_mask', 'int64', ['batch', 'total']);
  const weight = g.initializer('lm_head', 'float32', [64, 512], new Float32Array(64 * 512).fill(0.01));
  g.output('logits', 'float32', ['batch', 'sequence', 512], g.op('MatMul', [embeds, weight]));
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const kind of ['key', 'value']) {
      const past = g.input(`past_key_values.${layer}.${kind}`, 'float32', ['batch', 4, 'past', 8]);
      // The contract a present keeps: the past, then the new positions' rows (a projection of their embeddings).
      const projection = g.initializer(
        `rows.${layer}.${kind}`,
        'float32',
        [64, 32],
        new Float32Array(64 * 32).fill(0.01),
      );
      const shape = g.int64(`rows.${layer}.${kind}.shape`, [0, 0, 4, 8]);
      const rows = g.op('Transpose', [g.op('Reshape', [g.op('MatMul', [embeds, projection]), shape])], {
        perm: [0, 2, 1, 3],
      });
      const present = g.op('Concat', [past, rows], { axis: 2 });
      g.output(`present.${layer}.${kind}`, 'float32', ['batch', 4, 'total', 8], present);
    }
  }
  return g.serialize(
    options.externalData
      ? { externalData: { location: 'decoder_model_merged.onnx_data', minBytes: 1024 } }
      : {},
  );
}

async function loadError(folder: string, dtype?: 'q4'): Promise<GlimpseError> {
  const err = await loadModel(ort, folderReader(folder), {
    backend: 'wasm',
    ...(dtype ? { dtype: { decoder_model_merged: dtype } } : {}),
  }).catch((e: unknown) => e);
  if (!(err instanceof GlimpseError)) throw new Error(`Expected a GlimpseError, got ${String(err)}`);
  return err;
}

/** onnxruntime-web whose first session (the backend check's) waits for `release`, or fails when told to. */
function gatedRuntime(first: 'waits' | 'fails') {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let sessions = 0;
  // The engine passes model bytes and options; the overloads of `create` are not needed here.
  const create = async (bytes: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
    if (sessions++ === 0) {
      if (first === 'fails') throw new Error('no usable adapter');
      await released;
    }
    return ort.InferenceSession.create(bytes, options);
  };
  const runtime = { ...ort, InferenceSession: { ...ort.InferenceSession, create } } as typeof ort;
  return { runtime, release, sessions: () => sessions };
}

describe('loadModel', () => {
  it('names the missing file of a package without a decoder', async () => {
    const err = await loadError(await storiesWith(null));
    expect(err.code).toBe('package-file-missing');
    expect(err.details?.file).toBe('onnx/decoder_model_merged.onnx');
    expect(err.message).toContain('onnx/decoder_model_merged.onnx');
  });

  it('says a decoder cut short is incomplete, naming the file', async () => {
    const whole = await readFile(join(STORIES, 'onnx/decoder_model_merged.onnx'));
    const err = await loadError(await storiesWith({ model: whole.subarray(0, whole.length >> 1) }));
    expect(err.code).toBe('package-invalid');
    expect(err.details?.file).toBe('onnx/decoder_model_merged.onnx');
    expect(err.message).toContain('incomplete or damaged');
  });

  it('says a static-cache decoder cut short is incomplete, naming the file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'glimpse-load-'));
    folders.push(folder);
    await cp(STORIES, folder, { recursive: true });
    const file = join(folder, 'onnx/decoder_model_static.onnx');
    const whole = await readFile(file);
    await writeFile(file, whole.subarray(0, whole.length >> 1));
    const err = await loadError(folder);
    expect(err.code).toBe('package-invalid');
    expect(err.details?.file).toBe('onnx/decoder_model_static.onnx');
    expect(err.message).toMatch(/\. The file is incomplete or damaged/);
  });

  it('names the file and the input when the decoder lacks attention_mask', async () => {
    const err = await loadError(
      await storiesWith(fakeDecoder({ attentionMask: false, externalData: false })),
    );
    expect(err.code).toBe('package-invalid');
    expect(err.details?.file).toBe('onnx/decoder_model_merged.onnx');
    expect(err.message).toContain("'attention_mask'");
  });

  it('reads the package while the runtime starts, and creates no part before the check ends', async () => {
    const gate = gatedRuntime('waits');
    const read: string[] = [];
    const reader = folderReader(join(MODELS, 'tiny-llava'));
    const recording = {
      ...reader,
      read: (path: string, options?: ReadOptions) => {
        read.push(path);
        return reader.read(path, options);
      },
    };
    const loading = loadModel(gate.runtime, recording, { backend: 'wasm' });
    await expect.poll(() => read).toContain('onnx/decoder_model_merged_q4.onnx');
    expect(read).toContain('onnx/vision_encoder_q4.onnx');
    expect(gate.sessions()).toBe(1);
    gate.release();
    const model = await loading;
    expect(model.info.hasVision).toBe(true);
    await model.dispose();
  });

  it('reports a backend that cannot run, not the broken package read meanwhile', async () => {
    const gate = gatedRuntime('fails');
    const err = await loadModel(gate.runtime, folderReader(await storiesWith(null)), {
      backend: 'wasm',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlimpseError);
    expect((err as GlimpseError).code).toBe('backend-unavailable');
    expect((err as GlimpseError).message).toContain('no usable adapter');
  });

  it('fails on an explicit dtype the package does not have, naming the file', async () => {
    const err = await loadError(STORIES, 'q4');
    expect(err.code).toBe('package-file-missing');
    expect(err.message).toContain('onnx/decoder_model_merged_q4.onnx');
  });

  it('loads a decoder whose weights sit in an external data file', async () => {
    const decoder = fakeDecoder({ attentionMask: true, externalData: true });
    expect(decoder.externalData).toBeDefined();
    const model = await loadModel(ort, folderReader(await storiesWith(decoder)), { backend: 'wasm' });
    // Rewired to keep its cache in place (row-cache-graph.ts), its weights still read from the data file.
    expect(model.info.rowCache).toBe(true);
    const events = [];
    for await (const event of model.complete('Once', { maxNewTokens: 2 })) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'length' });
    await model.dispose();
  });

  it('runs a rewired decoder once while loading: its check is its warm-up', async () => {
    let decoderRuns = 0;
    const create = async (bytes: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
      const session = await ort.InferenceSession.create(bytes, options);
      if (!session.inputNames.some((name) => name.includes('past'))) return session;
      const run = session.run.bind(session);
      return Object.assign(session, {
        run: (feeds: ort.InferenceSession.FeedsType) => {
          decoderRuns++;
          return run(feeds);
        },
      });
    };
    const runtime = { ...ort, InferenceSession: { ...ort.InferenceSession, create } } as typeof ort;
    const folder = await mkdtemp(join(tmpdir(), 'glimpse-load-'));
    folders.push(folder);
    await cp(STORIES, folder, { recursive: true });
    await rm(join(folder, 'onnx/decoder_model_static.onnx'));
    const model = await loadModel(runtime, folderReader(folder), { backend: 'wasm' });
    expect(model.info.rowCache).toBe(true);
    expect(decoderRuns).toBe(1);
    await model.dispose();
  });

  it('prefers 4-bit files on wasm and reports one overall byte count', async () => {
    const progress: LoadProgress[] = [];
    const folder = join(MODELS, 'tiny-llava');
    const model = await loadModel(ort, folderReader(folder), {
      backend: 'wasm',
      onProgress: (p) => progress.push(p),
    });
    expect(model.info.files).toEqual({
      vision_encoder: 'onnx/vision_encoder_q4.onnx',
      projector: 'onnx/projector.onnx',
      embed_tokens: 'onnx/embed_tokens.onnx',
      decoder_model_merged: 'onnx/decoder_model_merged_q4.onnx',
    });
    expect(model.info.imageTokenCount).toBe(64);
    const sizes = await Promise.all(
      Object.values(model.info.files).map(async (file) => (await stat(join(folder, file))).size),
    );
    const last = progress.at(-1);
    expect(last?.phase).toBe('ready');
    expect(last?.totalBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(last?.loadedBytes).toBe(last?.totalBytes);
    expect(new Set(progress.map((p) => p.phase))).toEqual(
      new Set(['config', 'download', 'compile', 'warmup', 'ready']),
    );
    await model.dispose();
  });

  it('on wasm, trusts a declared image token count at load and checks it against the first image', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'glimpse-load-'));
    folders.push(folder);
    await cp(join(MODELS, 'tiny-llava'), folder, { recursive: true });
    const configFile = join(folder, 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...config, image_seq_length: 63 }));
    const model = await loadModel(ort, folderReader(folder), { backend: 'wasm' });
    // The encoder gives 64 rows; had it run at load, the wrong declaration would have failed there.
    expect(model.info.imageTokenCount).toBe(63);
    const image = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(128) };
    const turn = model
      .createConversation()
      .send({ text: 'What is this?', images: [image] }, { maxNewTokens: 2 });
    await expect(turn[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'package-invalid',
      message: expect.stringContaining(
        'gives 64 image feature rows, but the package declares image_seq_length 63',
      ),
    });
    await model.dispose();
  });
});
