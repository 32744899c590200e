import { GlimpseError, isAbortError, throwIfAborted } from '../engine/errors';
import type { PackageReader, ReadOptions } from '../engine/types';
import { readBody } from './response-body';
import { fileUrl, resolvePackageUrl } from './source-url';

export interface HttpReaderOptions {
  /** The app's origin; defaults to the page's or worker's `location.origin`. */
  readonly origin?: string;
}

/** A package reader over HTTP that also says where each file lives, for the OPFS cache to download from. */
export interface HttpReader extends PackageReader {
  readonly baseUrl: string;
  url(path: string): string;
}

/**
 * Reads a model package from a URL prefix with the Hugging Face layout (`…/resolve/main`, `/models/<id>`,
 * a mirror). Bodies are streamed with progress; a 404 means the package has no such file.
 */
export function createHttpReader(baseUrl: string, options: HttpReaderOptions = {}): HttpReader {
  const base = resolvePackageUrl(baseUrl, options.origin ?? globalThis.location?.origin);
  const url = (path: string) => fileUrl(base, path);
  return {
    location: base.href,
    baseUrl: base.href,
    url,
    async read(path: string, readOptions: ReadOptions = {}): Promise<Uint8Array | null> {
      const response = await fetchFile(url(path), path, readOptions.signal);
      if (response.status === 404) return null;
      if (!response.ok) throw httpError(response, path);
      try {
        return await readBody(response, path, readOptions.onProgress);
      } catch (err) {
        throw asDownloadError(err, path, url(path), readOptions.signal);
      }
    },
  };
}

/** fetch() with its failures turned into GlimpseErrors that name the file. */
export async function fetchFile(
  url: string,
  file: string,
  signal: AbortSignal | undefined,
  headers?: Record<string, string>,
): Promise<Response> {
  throwIfAborted(signal);
  try {
    return await fetch(url, { signal, headers, cache: 'no-store' });
  } catch (err) {
    throw asDownloadError(err, file, url, signal);
  }
}

export function httpError(response: Response, file: string): GlimpseError {
  return new GlimpseError(
    'download-failed',
    `The server answered ${response.status} ${response.statusText} for ${file} (${response.url}).`,
    { details: { file, url: response.url, status: response.status } },
  );
}

export function asDownloadError(err: unknown, file: string, url: string, signal?: AbortSignal): GlimpseError {
  if (err instanceof GlimpseError) return err;
  if (signal?.aborted || isAbortError(err)) return new GlimpseError('aborted', 'Stopped.', { cause: err });
  const reason = err instanceof Error ? err.message : String(err);
  return new GlimpseError(
    'download-failed',
    `Could not download ${file} from ${url} (${reason}). Check the connection and try again.`,
    { cause: err, details: { file, url } },
  );
}
