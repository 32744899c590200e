/**
 * Every failure the engine reports is a GlimpseError with a literal `code` the UI can switch on and a
 * message a person can act on. Errors cross the worker boundary as plain objects (`toObject` /
 * `fromObject`), never as stringified exceptions.
 */
export type ErrorCode =
  | 'package-file-missing' // a file the package needs is absent (404, not in folder)
  | 'package-invalid' // config fields missing or inconsistent, graph I/O that does not fit
  | 'download-failed' // network error, truncated or corrupt download
  | 'quota-exceeded' // storage full, or a download that cannot fit
  | 'image-invalid' // undecodable, empty or unsupported image
  | 'model-text-only' // an image given to a model that reads text only
  | 'model-unknown' // no model by that id in the catalog
  | 'model-not-loaded' // a turn asked for before a model is ready
  | 'context-overflow' // the conversation no longer fits in the model's context
  | 'backend-unavailable' // requested backend (e.g. WebGPU) cannot run here
  | 'device-lost' // the GPU device was lost
  | 'out-of-memory' // allocation failed while loading or running
  | 'busy' // a model load or a generation is already in progress
  | 'aborted' // the user stopped the operation
  | 'internal'; // a bug: anything not classified above

export interface GlimpseErrorObject {
  readonly name: 'GlimpseError';
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra facts for the UI or a log: the file, the missing field, the sizes. Plain JSON only. */
  readonly details?: Record<string, string | number | boolean | null>;
}

export class GlimpseError extends Error {
  override readonly name = 'GlimpseError';
  readonly code: ErrorCode;
  readonly details: Record<string, string | number | boolean | null> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, string | number | boolean | null> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  toObject(): GlimpseErrorObject {
    return this.details === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, details: this.details };
  }

  static fromObject(obj: GlimpseErrorObject): GlimpseError {
    return new GlimpseError(obj.code, obj.message, obj.details ? { details: obj.details } : undefined);
  }

  /** Wraps anything thrown into a GlimpseError; a GlimpseError passes through unchanged. */
  static from(err: unknown, fallback: ErrorCode = 'internal'): GlimpseError {
    if (err instanceof GlimpseError) return err;
    if (isAbortError(err)) return new GlimpseError('aborted', 'Stopped.', { cause: err });
    return new GlimpseError(fallback, messageOf(err), { cause: err });
  }
}

/** What anything thrown says: an Error's message, anything else as a string. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isAbortError(err: unknown): boolean {
  return (
    (err instanceof GlimpseError && err.code === 'aborted') ||
    (typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError')
  );
}

/** Throws the standard 'aborted' error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GlimpseError('aborted', 'Stopped.');
}
