import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A satisfiable byte range of a file, both ends inclusive (as in Content-Range). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Reads a `Range: bytes=…` header for a file of `size` bytes. Returns undefined when there is no usable
 * range header (the whole file is sent), or 'unsatisfiable' for a range that starts past the end (416).
 * Only single ranges are supported; a multi-range request gets the whole file, which RFC 9110 allows.
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Answers a GET or HEAD for the file at `full` (`size` bytes) with `headers` plus the range ones: 200 with
 * the whole file, 206 with the range the Range header asks for, or 416 for a range past the end.
 */
export function sendByteRange(
  full: string,
  size: number,
  headers: Readonly<Record<string, string | number>>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const range = parseByteRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': end - start + 1,
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  createReadStream(full, { start, end }).pipe(res);
}
