/** Creating inference sessions on one backend and reading their declared inputs and outputs. */
import { GlimpseError, messageOf } from '../errors';
import { type Backend, executionProviders, type Ort, type OrtSession, type OrtSessionOptions } from './ort';

export interface ExternalDataFile {
  /** The location recorded in the model, i.e. the file name beside the .onnx file. */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface SessionSource {
  /** Package-relative path, for messages. */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly externalData: readonly ExternalDataFile[];
}

/**
 * ONNX Runtime Web refuses to create a WebGPU session while another is being created ("another WebGPU
 * session is being created"), and a model's parts load in parallel: creations on one runtime module wait
 * for each other. Downloads still overlap; only the compile step is serial.
 */
const creationQueues = new WeakMap<Ort, Promise<unknown>>();

export function createSerially(ort: Ort, bytes: Uint8Array, options: OrtSessionOptions): Promise<OrtSession> {
  const previous = creationQueues.get(ort) ?? Promise.resolve();
  const next = previous.then(() => ort.InferenceSession.create(bytes, options));
  creationQueues.set(
    ort,
    next.catch(() => undefined),
  );
  return next;
}

export interface SessionPlacement {
  /** Outputs kept on the GPU (webgpu). */
  readonly gpuOutputs?: readonly string[];
  /** Intra-op threads (cpu; onnxruntime's own choice when left out). */
  readonly threads?: number;
}

export async function createSession(
  ort: Ort,
  backend: Backend,
  source: SessionSource,
  { gpuOutputs = [], threads }: SessionPlacement = {},
): Promise<OrtSession> {
  const options: OrtSessionOptions = {
    executionProviders: executionProviders(backend),
    graphOptimizationLevel: 'all',
    // Errors only: node-placement notices would otherwise reach the CLI's stderr on every load.
    logSeverityLevel: 3,
  };
  if (backend === 'cpu' && threads !== undefined) options.intraOpNumThreads = threads;
  if (source.externalData.length > 0) options.externalData = [...source.externalData];
  if (backend === 'webgpu' && gpuOutputs.length > 0) {
    options.preferredOutputLocation = Object.fromEntries(
      gpuOutputs.map((name) => [name, 'gpu-buffer' as const]),
    );
  }
  try {
    return await createSerially(ort, source.bytes, options);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new GlimpseError('out-of-memory', `Not enough memory to load ${source.file}.`, {
        cause: err,
        details: { file: source.file },
      });
    }
    throw loadFailure(source.file, backend, err);
  }
}

/** A file the runtime, or the engine's own reading of its graph, could not load. */
export function loadFailure(file: string, backend: string, err: unknown): GlimpseError {
  const message = messageOf(err);
  const reason = /[.!?]$/.test(message) ? message : `${message}.`;
  // onnxruntime's words, and onnx-read.ts', for a file cut short (an interrupted copy or download) or overwritten.
  const damaged = /protobuf parsing failed|truncated protobuf/i.test(reason)
    ? ' The file is incomplete or damaged: download or build it again.'
    : '';
  return new GlimpseError(
    'package-invalid',
    `${file} could not be loaded on ${backend}: ${reason}${damaged}`,
    {
      cause: err,
      details: { file, backend },
    },
  );
}

export interface ValueInfo {
  readonly name: string;
  /** Undefined when the runtime does not report metadata. */
  readonly type: string | undefined;
  readonly shape: readonly (number | string)[] | undefined;
}

function valueInfos(names: readonly string[], metadata: unknown): ValueInfo[] {
  const byName = new Map<string, { type: string; shape: readonly (number | string)[] }>();
  if (Array.isArray(metadata)) {
    for (const entry of metadata) {
      if (typeof entry === 'object' && entry !== null && 'isTensor' in entry && entry.isTensor === true) {
        if ('name' in entry && 'type' in entry && 'shape' in entry) {
          const { name, type, shape } = entry;
          if (typeof name === 'string' && typeof type === 'string' && Array.isArray(shape))
            byName.set(name, { type, shape });
        }
      }
    }
  }
  return names.map((name) => ({ name, type: byName.get(name)?.type, shape: byName.get(name)?.shape }));
}

export function sessionInputs(session: OrtSession): ValueInfo[] {
  return valueInfos(session.inputNames, session.inputMetadata);
}

export function sessionOutputs(session: OrtSession): ValueInfo[] {
  return valueInfos(session.outputNames, session.outputMetadata);
}
