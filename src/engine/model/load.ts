/**
 * Loading a model package: configuration and tokenizer, one ONNX file per part (by dtype and backend),
 * sessions on the chosen backend, I/O checks, and a warm-up run per session so shaders compile now rather
 * than at the first question.
 */

import { openSequence } from '../chat/decoder-steps';
import { createEngineCodec } from '../chat/engine-codec';
import type { ModelRuntime } from '../chat/model-runtime';
import { tokenInput } from '../chat/prefill';
import { presentNames } from '../decoder/kv-cache';
import { createKvSlicer, type KvSlicer } from '../decoder/kv-slicer';
import { withRunLimit } from '../decoder/run-limit';
import { runLast } from '../decoder/sequence';
import { StepPlanner } from '../decoder/step-planner';
import { GlimpseError, throwIfAborted } from '../errors';
import { parseImagePreprocessSpec } from '../image/preprocess-config';
import { checkBackend } from '../runtime/backend-check';
import { navigatorGpu, probeAdapter, runtimeGpuDevice } from '../runtime/capabilities';
import type { Backend, Ort, OrtSession } from '../runtime/ort';
import { createSession } from '../runtime/session';
import { loadTextCodec } from '../text/codec';
import type { LoadedModel, LoadOptions, ModelInfo, ModelPart, PackageReader } from '../types';
import { encodeImage } from '../vision/encoder';
import { parseModelConfig } from './config';
import { deviceClass, dtypePreference, parsePartFile, partFile, staticDecoderFiles } from './files';
import { generationDefaults } from './generation-defaults';
import { createGpuDecoderSession } from './gpu-decoder-part';
import { resolveImageTokenId } from './image-token';
import { EngineModel } from './loaded-model';
import { readPackageFiles } from './package-files';
import { type PartSource, readPartSource } from './part-source';
import { LoadProgressTracker } from './progress';
import { loadRowCacheDecoder } from './row-cache-part';
import { loadCpuStaticDecoder, loadStaticDecoder } from './static-part';
import { checkDecoder, checkEmbed, checkVision, type DecoderSpec } from './validate';

interface LoadedPart {
  readonly session: OrtSession;
  readonly file: string;
}

/** The decoder a load runs every sequence on, with what its kind adds. */
interface LoadedDecoder {
  readonly spec: DecoderSpec;
  readonly packedLayers?: number;
  readonly rowCache?: NonNullable<Awaited<ReturnType<typeof loadRowCacheDecoder>>>;
  readonly cpuStatic?: Awaited<ReturnType<typeof loadCpuStaticDecoder>>;
}

export async function loadModel(ort: Ort, reader: PackageReader, options: LoadOptions): Promise<LoadedModel> {
  const tracker = new LoadProgressTracker(options.onProgress);
  tracker.report('config');
  // The check's session is the runtime's first, which in a browser fetches, compiles and starts its wasm:
  // seconds, during which the package is read. It heads the creation queue, so no part's session starts
  // before it ends, and when it fails its error is the one reported, whatever the package's state.
  const backendChecked = checkBackend(ort, options.backend);
  try {
    return await loadPackage(ort, reader, options, tracker, backendChecked);
  } catch (err) {
    await backendChecked;
    throw err;
  }
}

async function loadPackage(
  ort: Ort,
  reader: PackageReader,
  options: LoadOptions,
  tracker: LoadProgressTracker,
  backendChecked: Promise<void>,
): Promise<LoadedModel> {
  const { backend, signal } = options;
  // Handled by the caller; a package error found first must not leave this rejection unhandled meanwhile.
  backendChecked.catch(() => {});
  const files = await readPackageFiles(reader, signal);
  const config = parseModelConfig(files.config, files.processorConfig);
  const codec = loadTextCodec({
    tokenizerJson: files.tokenizerJson,
    tokenizerConfig: files.tokenizerConfig,
    ...(files.chatTemplate === null ? {} : { chatTemplate: files.chatTemplate }),
    specialTokensMap: files.specialTokensMap,
    generationConfig: files.generationConfig,
    config: files.config,
  });
  const imageTokenId = resolveImageTokenId(config, codec);
  // The worker passes what it probed; only a caller that did not (a test, the CLI) is probed here.
  const shaderF16 =
    backend === 'webgpu' && (options.shaderF16 ?? (await probeAdapter(navigatorGpu()))?.shaderF16 ?? false);
  const device = deviceClass(backend, shaderF16);

  const sessions: OrtSession[] = [];
  const readPart = async (part: ModelPart, variants?: (file: string) => readonly string[]) => {
    const explicit = options.dtype?.[part];
    const dtypes = explicit ? [explicit] : dtypePreference(part, device);
    const source = await readPartSource(
      reader,
      part,
      dtypes,
      explicit !== undefined,
      tracker,
      signal,
      variants,
    );
    if (!source) return undefined;
    await backendChecked;
    throwIfAborted(signal);
    tracker.report('compile', source.file);
    return source;
  };
  const loadPart = async (part: ModelPart): Promise<LoadedPart | undefined> => {
    const source = await readPart(part);
    if (!source) return undefined;
    // A decode step's embedding stays in GPU memory on its way to the decoder (prefill.ts, tokenInput),
    // where the runtime can still read it back for a prompt (capabilities.ts, runtimeGpuDevice).
    const embedsOnGpu =
      part === 'embed_tokens' && backend === 'webgpu' && (await runtimeGpuDevice(ort)) !== undefined;
    const gpuOutputs = embedsOnGpu ? ['inputs_embeds'] : [];
    const session = await createSession(ort, backend, source, { gpuOutputs, threads: options.cpuThreads });
    sessions.push(session);
    return { session, file: source.file };
  };
  // The CPU backends read the package's static-cache graph, where it has one in the decoder's dtype, in
  // place of the merged decoder: the KV cache then stays in place (cpu-static-decoder.ts) instead of being
  // handed back whole on every run, which under wasm cost 5–10× a step in Chromium (bench/README.md). The
  // merged file is then never read. Without one, the merged decoder is rewired to the same end.
  // WebGPU with graph capture reads the static graph in place of the merged decoder too (static-part.ts),
  // and loads it once embed_tokens is loaded: the merged decoder is read only if that fails.
  const cpuBackend = backend === 'webgpu' ? undefined : backend;
  const packedQkv = options.packedQkv !== false;
  const staticVariants =
    cpuBackend && options.staticCache !== false
      ? (file: string) => [...staticDecoderFiles(file, 'wasm'), file]
      : !cpuBackend && options.graphCapture
        ? (file: string) => [...staticDecoderFiles(file, 'webgpu'), file]
        : undefined;
  const loadMerged = async (source: PartSource): Promise<LoadedDecoder> => {
    const rowCache =
      cpuBackend && options.rowCache !== false
        ? await loadRowCacheDecoder(ort, cpuBackend, source, config, options.cpuThreads)
        : undefined;
    if (rowCache) {
      sessions.push(rowCache.session);
      return { spec: rowCache.spec, rowCache };
    }
    if (backend === 'webgpu') {
      const { session, packedLayers } = await createGpuDecoderSession(
        ort,
        source,
        presentNames(config.numLayers ?? 0),
        { packedQkv },
      );
      sessions.push(session);
      return { spec: checkDecoder(session, source.file, config), packedLayers };
    }
    const session = await createSession(ort, backend, source, { threads: options.cpuThreads });
    sessions.push(session);
    return { spec: checkDecoder(session, source.file, config) };
  };
  const loadDecoder = async (): Promise<LoadedDecoder | { gpuStatic: PartSource } | undefined> => {
    const source = await readPart('decoder_model_merged', staticVariants);
    if (!source) return undefined;
    if (source.file === partFile('decoder_model_merged', source.dtype)) return loadMerged(source);
    if (!cpuBackend) return { gpuStatic: source };
    const cpuStatic = await loadCpuStaticDecoder(ort, cpuBackend, source, config, {
      attention: options.cpuAttention,
      threads: options.cpuThreads,
    });
    sessions.push(cpuStatic.decoder.session);
    return { spec: cpuStatic.spec, cpuStatic };
  };

  let staticPart: Awaited<ReturnType<typeof loadStaticDecoder>> | undefined;
  try {
    const hasVision = imageTokenId !== undefined;
    const [[encoder, projector], embed, loaded] = await Promise.all([
      hasVision ? loadVisionParts(loadPart) : [undefined, undefined],
      loadPart('embed_tokens'),
      loadDecoder(),
    ]);
    if (!loaded) throw missingPart(reader, 'decoder_model_merged');
    if (hasVision && !encoder) throw missingPart(reader, 'vision_encoder');
    const embedSpec = embed ? checkEmbed(embed.session, embed.file) : undefined;
    const draftTokens =
      options.draftTokens ??
      draftTokensFor(
        backend,
        !('gpuStatic' in loaded) && (loaded.cpuStatic ?? loaded.rowCache) !== undefined,
      );
    // Only once every session exists: the run-limit probe runs a session of its own, and run while the
    // projector's session was being created on Dawn it broke that creation
    // (tools/testing/captured-decode.test.ts).
    if ('gpuStatic' in loaded) {
      staticPart = await loadStaticDecoderOrNot(signal, () =>
        loadStaticDecoder(ort, loaded.gpuStatic, embedSpec, config, {
          draftTokens,
          packedQkv,
          warmToken: codec.bosTokenId ?? 0,
        }),
      );
    }
    const readMerged = async () => {
      const source = await readPart('decoder_model_merged');
      if (!source) throw missingPart(reader, 'decoder_model_merged');
      return source;
    };
    const decoder: LoadedDecoder = !('gpuStatic' in loaded)
      ? loaded
      : staticPart
        ? { spec: staticPart.spec, packedLayers: staticPart.packedLayers }
        : await loadMerged(await readMerged());
    const { cpuStatic, rowCache } = decoder;
    const decoderSpec =
      cpuStatic || staticPart
        ? decoder.spec
        : await withRunLimit(ort, backend, decoder.spec, config.numHeads);
    if (decoderSpec.inputKind === 'embeds' && !embedSpec) throw missingPart(reader, 'embed_tokens');
    if (encoder && !projector && !encoder.session.outputNames.includes('image_features')) {
      throw missingPart(reader, 'projector');
    }
    const visionSpec = encoder ? checkVision(encoder.session, encoder.file, projector) : undefined;
    if (visionSpec && !files.preprocessorConfig) {
      throw new GlimpseError(
        'package-file-missing',
        `The model package ${reader.location} has no preprocessor_config.json.`,
        {
          details: { file: 'preprocessor_config.json' },
        },
      );
    }
    const preprocess = visionSpec
      ? parseImagePreprocessSpec(files.preprocessorConfig, files.config)
      : undefined;

    throwIfAborted(signal);
    let kvSlicer: KvSlicer | undefined;
    if (backend === 'webgpu' && !staticPart) {
      kvSlicer = await createKvSlicer(ort, backend, decoderSpec.kvType, 2 * decoderSpec.numLayers);
      sessions.push(kvSlicer.session);
    }
    // The CPU backends' decoder that keeps its cache in place, where the package allows one.
    const cpuDecoder = cpuStatic?.decoder ?? rowCache;
    const runtime: ModelRuntime = {
      ort,
      kvSlicer,
      codec: createEngineCodec(codec, imageTokenId),
      decoder: decoderSpec,
      staticDecoder: staticPart?.decoder,
      stepPlanner: new StepPlanner(options.replayEveryStep ? 'captured' : undefined),
      cpuDecoder,
      embed: embedSpec,
      vision:
        visionSpec && preprocess
          ? { spec: visionSpec, preprocess, declaredRows: config.declaredImageTokens }
          : undefined,
      imageTokenId,
      contextLength: config.contextLength,
      defaults: generationDefaults(files.generationConfig, draftTokens),
    };
    throwIfAborted(signal);
    tracker.report('warmup');
    // The rewired decoder has already run a position at its load (row-cache-part.ts), and the static one
    // its steps (static-part.ts): once is enough.
    const imageTokenCount = await warmUp(runtime, backend, rowCache === undefined && !staticPart);
    tracker.report('ready');

    const staticFile = staticPart?.file ?? (cpuStatic ? decoderSpec.file : undefined);
    const packedLayers = decoder.packedLayers ?? 0;
    const info: ModelInfo = {
      location: reader.location,
      modelType: config.modelType,
      backend,
      files: Object.fromEntries(
        [
          encoder?.file,
          projector?.file,
          embed?.file,
          cpuStatic || staticPart ? undefined : decoderSpec.file,
        ].flatMap((file) => (file ? [[partName(file), file]] : [])),
      ),
      ...(staticFile ? { staticDecoder: staticFile } : {}),
      ...(cpuStatic ? { cpuAttention: cpuStatic.attention } : {}),
      ...(rowCache ? { rowCache: true } : {}),
      ...(packedLayers > 0 ? { packedQkvLayers: packedLayers } : {}),
      hasVision: runtime.vision !== undefined,
      imageTokenCount,
      contextLength: config.contextLength,
      defaults: runtime.defaults,
    };
    return new EngineModel(info, runtime, sessions);
  } catch (err) {
    await Promise.allSettled([
      ...sessions.map((session) => session.release()),
      ...(staticPart ? [staticPart.decoder.release()] : []),
    ]);
    throw GlimpseError.from(err);
  }
}

/**
 * The captured decode variant is a speed-up, not a part: one the runtime or this adapter cannot run (a
 * broken file, a graph the provider rejects, a step that fails, no device to bind buffers on) leaves the
 * model on the merged decoder, which the load then reads, and the reason goes to the console rather than
 * failing the load. An aborted load still fails as aborted.
 */
async function loadStaticDecoderOrNot(
  signal: AbortSignal | undefined,
  load: () => ReturnType<typeof loadStaticDecoder>,
): Promise<Awaited<ReturnType<typeof loadStaticDecoder>> | undefined> {
  try {
    return await load();
  } catch (err) {
    throwIfAborted(signal);
    console.warn(`Glimpse decodes without graph capture: ${GlimpseError.from(err).message}`);
    return undefined;
  }
}

/**
 * Draft tokens per decoder run by default (prompt lookup; 0 decodes one token a run).
 * - WebGPU: a run costs about the same for one position or five (it is bound by kernel dispatch, not
 *   arithmetic), and a wrong draft is cut from the cache on the GPU, so drafts come nearly free. The captured
 *   step is built for as many (static-rows-graph.ts); that a replay of five positions costs what one does
 *   there too is assumed from the same reasoning, not yet measured on a GPU (bench/README.md).
 * - cpu and wasm with the cache kept in place (the static decoder, or a merged one rewired): a wrong draft is
 *   a length change, and a run of one token and 4 drafts costs ~1.4 one-token steps at LLaVA-Interleave shapes,
 *   so drafts pay once 0.4 of them come true a run. On real text they did 0.9–1.8 a run: stories260K's
 *   stories, and shapes-llava's answers on its held-out set (1.06, 20 % fewer runs, 522 of 523 replies the
 *   same; bench/README.md, "Draft tokens on the CPU backends").
 * - cpu and wasm on a merged decoder that hands back its whole cache: each wrong draft costs a copy of all of
 *   it (on a tiny model that halved decode speed), so none.
 */
function draftTokensFor(backend: Backend, cacheInPlace: boolean): number {
  return backend === 'webgpu' || cacheInPlace ? 4 : 0;
}

/** The projector is needed, and loaded, only when the encoder does not already output image_features. */
async function loadVisionParts(
  loadPart: (part: ModelPart) => Promise<LoadedPart | undefined>,
): Promise<[LoadedPart | undefined, LoadedPart | undefined]> {
  const encoder = await loadPart('vision_encoder');
  if (!encoder || encoder.session.outputNames.includes('image_features')) return [encoder, undefined];
  return [encoder, await loadPart('projector')];
}

function partName(file: string): string {
  return parsePartFile(file)?.part ?? file;
}

function missingPart(reader: PackageReader, part: ModelPart): GlimpseError {
  const file = partFile(part, 'fp32');
  return new GlimpseError(
    'package-file-missing',
    `The model package ${reader.location} has no ${file} (nor another dtype of it).`,
    {
      details: { file },
    },
  );
}

/**
 * One tiny run per session, so that WebGPU compiles its shaders now and not in the user's first turn;
 * returns the image token count. On the CPU backends there is nothing to compile, so the vision encoder
 * (seconds at real sizes) runs only when the package does not declare its image token count, and the
 * decoder only when its load did not already run it (`runDecoder`).
 */
async function warmUp(
  model: ModelRuntime,
  backend: Backend,
  runDecoder: boolean,
): Promise<number | undefined> {
  let imageTokens: number | undefined;
  if (model.vision) {
    const { spec, preprocess, declaredRows } = model.vision;
    imageTokens = declaredRows;
    if (backend === 'webgpu' || declaredRows === undefined) {
      const { height, width } = preprocess;
      const pixels = { data: new Float32Array(3 * height * width), dims: [1, 3, height, width] };
      imageTokens = (await encodeImage(model.ort, spec, pixels, declaredRows)).rows;
    }
  }
  const input = await tokenInput(model, [model.codec.bosTokenId ?? 0]);
  if (!runDecoder) return imageTokens;
  const sequence = openSequence(model);
  try {
    await runLast(sequence, input);
  } finally {
    sequence.clear();
  }
  return imageTokens;
}
