/**
 * Whether the backend runs at all, tried with a built-in one-node model before any package file is read, so
 * that a missing WebGPU adapter (or an unloadable wasm binary) is reported as such and not blamed on the model.
 */
import { GlimpseError } from '../errors';
import { type Backend, executionProviders, type Ort } from './ort';
import { createSerially } from './session';
import { sliceModel } from './slice-model';

export async function checkBackend(ort: Ort, backend: Backend): Promise<void> {
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await createSerially(ort, sliceModel('float32'), {
      executionProviders: executionProviders(backend),
      logSeverityLevel: 3,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new GlimpseError('backend-unavailable', `The ${backend} backend cannot run here: ${reason}`, {
      cause: err,
      details: { backend },
    });
  }
  await session.release();
}
