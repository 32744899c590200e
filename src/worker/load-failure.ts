import { GlimpseError } from '../engine/errors';
import { isQuotaError } from '../storage/quota';

/**
 * What a failed model load tells the person. An allocation that fails (an ArrayBuffer for a model file,
 * WebAssembly memory that cannot grow, a session the runtime cannot place) surfaces as a RangeError or the
 * engine's 'out-of-memory'; storage that fills up outside the download's own checks (a directory, a
 * record) as the browser's QuotaExceededError. Each becomes one message that says what to do about it.
 */
export function loadFailure(err: unknown, modelId: string): GlimpseError {
  if (causes(err).some(isQuotaError)) {
    return new GlimpseError(
      'quota-exceeded',
      `There is no room left to store ${modelId}. Delete a cached model in the storage panel, or free disk space, and try again.`,
      { cause: err, details: { model: modelId } },
    );
  }
  const outOfMemory =
    err instanceof RangeError || (err instanceof GlimpseError && err.code === 'out-of-memory');
  if (!outOfMemory) return GlimpseError.from(err);
  const file = err instanceof GlimpseError ? err.details?.file : undefined;
  return new GlimpseError(
    'out-of-memory',
    `There is not enough memory to load ${modelId}${typeof file === 'string' ? ` (${file})` : ''}. ` +
      'Close other tabs or apps and try again, or choose a smaller model.',
    { cause: err, details: { model: modelId, ...(typeof file === 'string' ? { file } : {}) } },
  );
}

/** The error and the chain of its causes. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = err; current !== undefined && chain.length < 8; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}
