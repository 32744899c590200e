import { GlimpseError } from '../engine/errors';

/**
 * The number of body bytes a response promises, or undefined when unknown. A compressed response's
 * Content-Length counts encoded bytes, which says nothing about the decoded body the reader sees.
 */
export function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/**
 * Streams a response body into one buffer: preallocated when the length is known, so the bytes are held
 * once; growing by doubling otherwise. A body shorter than its Content-Length is a failed download.
 */
export async function readBody(
  response: Response,
  file: string,
  onProgress?: (loaded: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  const total = declaredLength(response);
  let buffer = new Uint8Array(total ?? 64 * 1024);
  let loaded = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + value.byteLength));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.byteLength;
      onProgress?.(loaded, total);
    }
  }
  if (total !== undefined && loaded < total) {
    throw new GlimpseError(
      'download-failed',
      `The download of ${file} stopped after ${loaded} of ${total} bytes (${response.url}). Check the connection and try again.`,
      { details: { file, url: response.url, loaded, total } },
    );
  }
  return loaded === buffer.byteLength ? buffer : buffer.slice(0, loaded);
}
