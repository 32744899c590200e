/**
 * The worker's side of the protocol: it holds the loaded model and its conversations by id, runs each
 * request and answers with replies. It takes the ONNX Runtime module, the engine's loader and the package
 * reader as parameters, so the same host runs under onnxruntime-node in tests.
 */
import { GlimpseError } from '../engine/errors';
import type { CpuSpeed } from '../engine/runtime/decode-cost';
import type {
  Conversation,
  GenerateEvent,
  GenerationSettings,
  GlimpseEngine,
  LoadedModel,
  PackageReader,
} from '../engine/types';
import { type BackendChoice, chooseBackend, type GpuLike } from './backend';
import { loadFailure } from './load-failure';
import { type BackendPreference, type ModelSource, type Reply, type Request, unreachable } from './protocol';
import { sourceDtypes } from './source-dtypes';
import { yieldToEventLoop } from './yield';

export interface HostDeps {
  /** The engine in this thread (`createEngine(ort)`). */
  readonly engine: GlimpseEngine;
  readonly createReader: (source: ModelSource) => Promise<PackageReader>;
  readonly gpu: GpuLike | undefined;
  readonly post: (reply: Reply) => void;
  /**
   * After a WebGPU load: resolves with the browser's reason once the GPU device that ONNX Runtime runs on
   * is lost (a driver reset, a device destroyed); undefined when there is no device to watch.
   */
  readonly watchDevice?: () => Promise<string> | undefined;
  /**
   * Whether the device the runtime runs WebGPU on has shader-f16 (undefined when it cannot tell): the
   * adapter may list the feature while the runtime's device lacks it (capabilities.ts).
   */
  readonly runtimeShaderF16?: () => Promise<boolean | undefined>;
  /**
   * The runtime's WebGPU provider honours enableGraphCapture (onnxruntime-web; onnxruntime-node 1.30 does
   * not): a WebGPU load then decodes through the package's captured decode variant where it has one.
   */
  readonly graphCapture?: boolean;
  /** Times the WebAssembly backend on this device (`measureCpuSpeed` with the worker's runtime). */
  readonly measureCpuSpeed?: () => Promise<CpuSpeed>;
}

export interface InferenceHost {
  handle(request: Request): Promise<void>;
}

export function createInferenceHost(deps: HostDeps): InferenceHost {
  let model: LoadedModel | undefined;
  const conversations = new Map<string, Conversation>();
  const running = new Map<number, AbortController>();
  // Set when the GPU under the loaded model is gone: every request that needs the model fails with it.
  let deviceLost: GlimpseError | undefined;
  // Settles once the device under the loaded model is lost; undefined on wasm.
  let lossWatch: Promise<unknown> | undefined;
  // Loads run one at a time, each after the one before has settled; only the latest one is kept.
  let loads: Promise<unknown> = Promise.resolve();
  let latestLoad: number | undefined;

  function requireModel(): LoadedModel {
    if (deviceLost) throw deviceLost;
    if (!model) {
      throw new GlimpseError(
        'model-not-loaded',
        'No model is loaded yet. Wait until it is ready, then send again.',
      );
    }
    return model;
  }

  function requireConversation(id: string): Conversation {
    const conversation = conversations.get(id);
    if (!conversation) throw new GlimpseError('internal', `Conversation ${id} is not open in the worker.`);
    return conversation;
  }

  async function unload(): Promise<void> {
    for (const conversation of conversations.values()) conversation.dispose();
    conversations.clear();
    const previous = model;
    model = undefined;
    await previous?.dispose();
  }

  /** A lost device stops the answer being generated; the page then reloads the model on wasm. */
  function watchForDeviceLoss(loaded: LoadedModel): void {
    lossWatch = deps.watchDevice?.()?.then((reason) => {
      if (model !== loaded) return;
      deviceLost = new GlimpseError(
        'device-lost',
        `The GPU stopped responding (${reason}). Glimpse is loading the model again on WebAssembly, ` +
          'which is slower. Your conversation is kept: ask again, or regenerate the answer, once it is ready.',
        { details: { reason } },
      );
      for (const controller of running.values()) controller.abort();
    });
  }

  async function stream(id: number, events: AsyncIterable<GenerateEvent>) {
    for await (const event of events) {
      if (deviceLost) throw deviceLost;
      deps.post({ id, kind: 'event', payload: event });
      await yieldToEventLoop();
    }
  }

  function sampling(settings: GenerationSettings, signal: AbortSignal) {
    return { ...settings, signal };
  }

  /**
   * Replaces the loaded model. The engine checks its signal only between steps, so an aborted load may
   * still finish: a model that is no longer the latest one asked for is released at once, never kept
   * beside its successor.
   */
  async function load(id: number, source: ModelSource, preference: BackendPreference, signal: AbortSignal) {
    const superseded = () => signal.aborted || latestLoad !== id;
    if (superseded()) throw new GlimpseError('aborted', 'Another model was chosen.');
    await unload();
    deviceLost = undefined;
    lossWatch = undefined;
    const choice = await confirmShaderF16(await chooseBackend(preference, deps.gpu));
    let loaded: LoadedModel;
    try {
      loaded = await deps.engine.loadModel(await deps.createReader(source), {
        backend: choice.backend,
        shaderF16: choice.shaderF16,
        graphCapture: deps.graphCapture === true,
        dtype: sourceDtypes(source, choice),
        signal,
        onProgress: (progress) => deps.post({ id, kind: 'progress', payload: progress }),
      });
    } catch (err) {
      throw loadFailure(err, source.id);
    }
    if (superseded()) {
      await loaded.dispose();
      throw new GlimpseError('aborted', 'Another model was chosen.');
    }
    model = loaded;
    if (choice.backend === 'webgpu') watchForDeviceLoss(loaded);
    deps.post({
      id,
      kind: 'result',
      payload: { kind: 'loaded', info: loaded.info, backend: choice.backend, shaderF16: choice.shaderF16 },
    });
  }

  async function confirmShaderF16(choice: BackendChoice): Promise<BackendChoice> {
    if (choice.backend !== 'webgpu' || !choice.shaderF16 || !deps.runtimeShaderF16) return choice;
    return { ...choice, shaderF16: (await deps.runtimeShaderF16()) ?? true };
  }

  async function run(request: Request, signal: AbortSignal): Promise<void> {
    switch (request.kind) {
      case 'load': {
        latestLoad = request.id;
        // A new load stops what runs on the old model and any load still under way before it.
        for (const [otherId, controller] of running) if (otherId !== request.id) controller.abort();
        const queued = loads.then(() =>
          load(request.id, request.payload.source, request.payload.backend, signal),
        );
        loads = queued.catch(() => {});
        await queued;
        return;
      }
      case 'open-conversation': {
        const { conversationId, systemPrompt, history, overflow } = request.payload;
        conversations.get(conversationId)?.dispose();
        conversations.set(
          conversationId,
          requireModel().createConversation({
            systemPrompt: systemPrompt || undefined,
            history,
            ...(overflow ? { overflow } : {}),
          }),
        );
        break;
      }
      case 'send': {
        const { conversationId, turn, settings } = request.payload;
        await stream(request.id, requireConversation(conversationId).send(turn, sampling(settings, signal)));
        break;
      }
      case 'prepare': {
        const { conversationId, images } = request.payload;
        await requireConversation(conversationId).prepare(images, { signal });
        break;
      }
      case 'regenerate': {
        const { conversationId, settings } = request.payload;
        await stream(request.id, requireConversation(conversationId).regenerate(sampling(settings, signal)));
        break;
      }
      case 'complete': {
        const { prompt, settings } = request.payload;
        await stream(request.id, requireModel().complete(prompt, sampling(settings, signal)));
        break;
      }
      case 'close-conversation':
        conversations.get(request.payload.conversationId)?.dispose();
        conversations.delete(request.payload.conversationId);
        break;
      case 'abort':
        running.get(request.payload.requestId)?.abort();
        break;
      case 'measure-speed': {
        if (!deps.measureCpuSpeed)
          throw new GlimpseError('internal', 'This worker cannot measure the speed of its backend.');
        const speed = await deps.measureCpuSpeed();
        deps.post({ id: request.id, kind: 'result', payload: { kind: 'speed', speed } });
        return;
      }
      case 'unload':
        // A load still under way is no longer wanted: it releases its model when it finishes.
        latestLoad = undefined;
        await unload();
        break;
      default:
        unreachable(request);
    }
    deps.post({ id: request.id, kind: 'result', payload: { kind: 'done' } });
  }

  return {
    async handle(request) {
      const controller = new AbortController();
      running.set(request.id, controller);
      try {
        await run(request, controller.signal);
      } catch (err) {
        // A run on a lost device can fail before the browser settles `device.lost`: give it a moment.
        if (lossWatch && !deviceLost && request.kind !== 'load')
          await Promise.race([lossWatch, new Promise((resolve) => setTimeout(resolve, 250))]);
        const error = deviceLost && request.kind !== 'load' ? deviceLost : GlimpseError.from(err);
        deps.post({ id: request.id, kind: 'error', payload: error.toObject() });
      } finally {
        running.delete(request.id);
      }
    },
  };
}
