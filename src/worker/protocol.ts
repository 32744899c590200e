/**
 * Every message between the page and the inference worker. Requests carry an id the worker echoes in each
 * reply, so the page can route progress, generated events and the final result or error to the call that
 * asked. Both sides switch exhaustively on `kind`; errors cross as GlimpseErrorObject, never as strings.
 */
import type { GlimpseErrorObject } from '../engine/errors';
import type { CpuSpeed } from '../engine/runtime/decode-cost';
import type {
  Backend,
  ChatMessage,
  GenerateEvent,
  GenerationSettings,
  LoadProgress,
  ModelInfo,
  OverflowPolicy,
  RgbaImage,
  UserTurn,
} from '../engine/types';
import type { ManifestFile } from '../storage/cache-records';
import type { FolderFile } from '../storage/folder-reader';

/** What the page asks for; 'auto' lets the worker probe for a WebGPU adapter. */
export type BackendPreference = 'auto' | 'webgpu' | 'wasm';

/** One file of a package, as /models/index.json lists it; the cache verifies downloads against it. */
/** A package file as /models/index.json lists it: the same record the model cache keeps. */
export type PackageFile = ManifestFile;

/**
 * A package behind a URL, read through the model cache. `files` lists what the source has, with sizes and
 * sha256 values: /models/index.json for this app's packages, the tree listing for a Hub repository (and
 * `baseUrl` is then pinned to the commit the listing answered for). The worker picks the variants among
 * them, a file not listed is never requested, and every download is checked against its sha256. A mirror
 * without a listing lists none; the cache then trusts its sha256 ETags.
 */
export interface UrlModelSource {
  readonly id: string;
  readonly baseUrl: string;
  readonly files?: readonly PackageFile[];
}

/** A package in a folder on the user's computer: read as it is, never copied to the model cache. */
export interface FolderModelSource {
  readonly id: string;
  readonly folder: readonly FolderFile[];
}

/** Where a model package lives and which files it has. */
export type ModelSource = UrlModelSource | FolderModelSource;

export function isFolderSource(source: ModelSource): source is FolderModelSource {
  return 'folder' in source;
}

export type Request =
  | {
      readonly id: number;
      readonly kind: 'load';
      readonly payload: { readonly source: ModelSource; readonly backend: BackendPreference };
    }
  | {
      readonly id: number;
      readonly kind: 'open-conversation';
      readonly payload: {
        readonly conversationId: string;
        readonly systemPrompt: string;
        readonly history: readonly ChatMessage[];
        /** Absent: the engine's default, an error when the conversation outgrows the context. */
        readonly overflow?: OverflowPolicy;
      };
    }
  | {
      readonly id: number;
      readonly kind: 'send';
      readonly payload: {
        readonly conversationId: string;
        readonly turn: UserTurn;
        readonly settings: GenerationSettings;
      };
    }
  | {
      readonly id: number;
      /** The images of the message still being written (Conversation.prepare). */
      readonly kind: 'prepare';
      readonly payload: { readonly conversationId: string; readonly images: readonly RgbaImage[] };
    }
  | {
      readonly id: number;
      readonly kind: 'regenerate';
      readonly payload: { readonly conversationId: string; readonly settings: GenerationSettings };
    }
  | {
      readonly id: number;
      readonly kind: 'complete';
      readonly payload: { readonly prompt: string; readonly settings: GenerationSettings };
    }
  | {
      readonly id: number;
      readonly kind: 'close-conversation';
      readonly payload: { readonly conversationId: string };
    }
  | { readonly id: number; readonly kind: 'abort'; readonly payload: { readonly requestId: number } }
  | { readonly id: number; readonly kind: 'unload'; readonly payload: Record<string, never> }
  /** Times the WebAssembly backend's kernels on this device, for the estimate shown before a download. */
  | { readonly id: number; readonly kind: 'measure-speed'; readonly payload: Record<string, never> };

export type RequestKind = Request['kind'];

/** What a finished request returns; a load says which backend really runs and whether f16 files were allowed. */
export type ResultPayload =
  | {
      readonly kind: 'loaded';
      readonly info: ModelInfo;
      readonly backend: Backend;
      readonly shaderF16: boolean;
    }
  | { readonly kind: 'speed'; readonly speed: CpuSpeed }
  | { readonly kind: 'done' };

export type Reply =
  | { readonly id: number; readonly kind: 'result'; readonly payload: ResultPayload }
  | { readonly id: number; readonly kind: 'error'; readonly payload: GlimpseErrorObject }
  | { readonly id: number; readonly kind: 'progress'; readonly payload: LoadProgress }
  | { readonly id: number; readonly kind: 'event'; readonly payload: GenerateEvent };

/** Marks a switch as exhaustive: adding a message kind without handling it fails to compile. */
export function unreachable(value: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}

const requestKinds: ReadonlySet<string> = new Set<RequestKind>([
  'load',
  'open-conversation',
  'send',
  'prepare',
  'regenerate',
  'complete',
  'close-conversation',
  'abort',
  'unload',
  'measure-speed',
]);
const replyKinds: ReadonlySet<string> = new Set<Reply['kind']>(['result', 'error', 'progress', 'event']);

function hasIdAndKind(data: unknown, kinds: ReadonlySet<string>): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    'id' in data &&
    typeof data.id === 'number' &&
    'kind' in data &&
    typeof data.kind === 'string' &&
    kinds.has(data.kind) &&
    'payload' in data &&
    typeof data.payload === 'object' &&
    data.payload !== null
  );
}

/**
 * Structured clone only ever delivers what the other side posted, so the envelope check is enough: it
 * rejects stray messages (extensions, other libraries) without re-validating every payload field.
 */
export function isRequest(data: unknown): data is Request {
  return hasIdAndKind(data, requestKinds);
}

export function isReply(data: unknown): data is Reply {
  return hasIdAndKind(data, replyKinds);
}

/** The buffers of a turn's images, moved rather than copied to the worker. */
export function transferablesOf(request: Request): Transferable[] {
  switch (request.kind) {
    case 'send':
      return ownBuffers([request.payload.turn]);
    case 'open-conversation':
      return ownBuffers(request.payload.history);
    // The page keeps the attachments until they are sent: the worker gets copies.
    case 'prepare':
    case 'load':
    case 'regenerate':
    case 'complete':
    case 'close-conversation':
    case 'abort':
    case 'unload':
    case 'measure-speed':
      return [];
    default:
      return unreachable(request);
  }
}

function ownBuffers(messages: readonly { readonly images?: readonly RgbaImage[] }[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const image of messages.flatMap((message) => message.images ?? [])) {
    // A view into a larger or shared buffer would hand the worker more than the image: copy those instead.
    const buffer = image.data.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength === image.data.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}
