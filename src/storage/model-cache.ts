import { GlimpseError } from '../engine/errors';
import type { PackageReader, ReadOptions } from '../engine/types';
import {
  dataPath,
  type FileRecord,
  forgetFile,
  type ManifestFile,
  readRecord,
  writeRecord,
} from './cache-records';
import type { FileStore, FileWriter } from './file-store';
import { asDownloadError, fetchFile, httpError } from './http-reader';
import { ensureRoom, isQuotaError, quotaErrorDuringWrite } from './quota';
import { declaredLength } from './response-body';
import { sha256FromEtag, sha256Hex } from './sha256';

export type { ManifestFile } from './cache-records';

/** Where a missing file is downloaded from: an HttpReader fits. */
export interface DownloadSource {
  readonly location: string;
  url(path: string): string;
}

export interface CachedReaderOptions {
  readonly modelId: string;
  readonly store: FileStore;
  /** The package's files with sizes and sha256: files not listed are known to be absent. */
  readonly manifest?: readonly ManifestFile[];
  /** Re-hash stored files on every read instead of once per stored version. */
  readonly alwaysVerify?: boolean;
}

/**
 * A package reader that serves files from a FileStore (OPFS in the browser) and downloads what is
 * missing straight into it. A download is streamed to storage chunk by chunk; an interrupted one keeps
 * its bytes and resumes with an HTTP Range request; a file is served only when complete and matching its
 * size and sha256 (from the manifest, or the server's sha256 ETag).
 */
export function createCachedReader(source: DownloadSource, options: CachedReaderOptions): PackageReader {
  const cache = new ModelCache(source, options);
  return { location: source.location, read: (path, readOptions) => cache.read(path, readOptions) };
}

interface Expected {
  readonly size: number | undefined;
  readonly sha256: string | undefined;
}

class ModelCache {
  private readonly source: DownloadSource;
  private readonly options: CachedReaderOptions;
  private readonly store: FileStore;
  /** One read per file at a time: two loads of the same model must not write one file twice. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(source: DownloadSource, options: CachedReaderOptions) {
    this.source = source;
    this.options = options;
    this.store = options.store;
  }

  read(path: string, options: ReadOptions = {}): Promise<Uint8Array | null> {
    const previous = this.busy.get(path) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.readOne(path, options));
    this.busy.set(path, next);
    return next.finally(() => {
      if (this.busy.get(path) === next) this.busy.delete(path);
    });
  }

  private async readOne(path: string, options: ReadOptions): Promise<Uint8Array | null> {
    const { manifest, modelId } = this.options;
    const listed = manifest?.find((file) => file.path === path);
    if (manifest && !listed) return null;
    const record = await readRecord(this.store, modelId, path);
    if (record?.state === 'absent' && !manifest) return null;
    if (record?.state === 'complete') {
      const bytes = await this.readComplete(path, record, listed);
      if (bytes) {
        options.onProgress?.(bytes.byteLength, bytes.byteLength);
        return bytes;
      }
    }
    const expected = { size: listed?.size, sha256: listed?.sha256 };
    return this.download(path, record?.state === 'partial' ? record : undefined, expected, options);
  }

  /** The stored bytes when they still match; otherwise the file is forgotten and undefined returned. */
  private async readComplete(
    path: string,
    record: Extract<FileRecord, { state: 'complete' }>,
    listed: ManifestFile | undefined,
  ): Promise<Uint8Array | undefined> {
    const { store, modelId } = this.options;
    const stat = await store.stat(dataPath(modelId, path));
    const size = listed?.size ?? record.size;
    const sha256 = listed?.sha256 ?? record.sha256;
    if (!stat || stat.size !== size || (listed?.sha256 && record.sha256 && listed.sha256 !== record.sha256)) {
      await forgetFile(store, modelId, path);
      return undefined;
    }
    const bytes = await store.read(dataPath(modelId, path));
    if (!bytes || bytes.byteLength !== size) {
      await forgetFile(store, modelId, path);
      return undefined;
    }
    const known = record.verified;
    const trusted = known?.sha256 === sha256 && known?.lastModified === stat.lastModified;
    if (sha256 && (this.options.alwaysVerify || !trusted)) {
      if ((await sha256Hex(bytes)) !== sha256) {
        await forgetFile(store, modelId, path);
        return undefined;
      }
      await writeRecord(store, modelId, path, {
        ...record,
        sha256,
        verified: { sha256, lastModified: stat.lastModified },
      });
    }
    return bytes;
  }

  private async download(
    path: string,
    partial: Extract<FileRecord, { state: 'partial' }> | undefined,
    expected: Expected,
    options: ReadOptions,
  ): Promise<Uint8Array | null> {
    const { store, modelId } = this.options;
    const file = dataPath(modelId, path);
    const stored = partial ? ((await store.stat(file))?.size ?? 0) : 0;
    const sameVersion =
      partial !== undefined &&
      (expected.size === undefined || partial.size === undefined || partial.size === expected.size) &&
      (expected.sha256 === undefined || partial.sha256 === undefined || partial.sha256 === expected.sha256);
    const offset = sameVersion ? stored : 0;
    if (expected.size !== undefined) await ensureRoom(store, expected.size - offset, path);

    const url = this.source.url(path);
    const response = await this.fetchFrom(url, path, offset, partial?.etag, options.signal);
    if (response === null) {
      await forgetFile(store, modelId, path);
      await writeRecord(store, modelId, path, { state: 'absent' });
      return null;
    }
    const start = response.status === 206 ? offset : 0;
    const total = totalSize(response, start) ?? expected.size;
    const sha256 = expected.sha256 ?? sha256FromEtag(response.headers.get('etag'));
    if (expected.size === undefined && total !== undefined) await ensureRoom(store, total - start, path);
    const etag = response.headers.get('etag') ?? undefined;
    await writeRecord(store, modelId, path, { state: 'partial', size: total, sha256, etag });

    const written = await this.stream(response, path, url, start, total, options);
    if (total !== undefined && written !== total) {
      if (written > total) await forgetFile(store, modelId, path);
      throw new GlimpseError(
        'download-failed',
        `The download of ${path} ended at ${written} of ${total} bytes (${url}). Try again: it resumes where it stopped.`,
        { details: { file: path, url, loaded: written, total } },
      );
    }
    const bytes = await store.read(file);
    const stat = await store.stat(file);
    if (!bytes || !stat)
      throw new GlimpseError('download-failed', `${path} vanished from storage while it was saved.`);
    if (bytes.byteLength < written) {
      // The browser took the bytes and kept fewer (a quota it enforces below what estimate() reports):
      // storage filled up, and the checksum below would blame the download.
      await forgetFile(store, modelId, path);
      throw quotaErrorDuringWrite(
        new Error(`storage kept ${bytes.byteLength} of the ${written} bytes written`),
        path,
      );
    }
    if (sha256 && (await sha256Hex(bytes)) !== sha256) {
      await forgetFile(store, modelId, path);
      // Bytes appended to a partial file of another version: start over once from nothing.
      if (start > 0) return this.download(path, undefined, expected, options);
      throw new GlimpseError(
        'download-failed',
        `${path} did not match its checksum: the downloaded bytes' sha256 is not the ${sha256} listed for it. ` +
          'The file was deleted and nothing was loaded; try again, or report the repository if it keeps happening.',
        { details: { file: path, url, sha256 } },
      );
    }
    await writeRecord(store, modelId, path, {
      state: 'complete',
      size: bytes.byteLength,
      ...(sha256 ? { sha256, verified: { sha256, lastModified: stat.lastModified } } : {}),
    });
    return bytes;
  }

  /** The response to read from `offset` (or from 0 when the server will not resume); null for a 404. */
  private async fetchFrom(
    url: string,
    path: string,
    offset: number,
    etag: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response | null> {
    // No If-Range: it is not CORS-safelisted, and a preflight per file is worse than comparing ETags.
    let response = await fetchFile(url, path, signal, offset > 0 ? { Range: `bytes=${offset}-` } : undefined);
    const resumed = response.status === 206 && contentRangeStart(response) === offset;
    const changed =
      etag !== undefined && response.headers.get('etag') !== null && response.headers.get('etag') !== etag;
    if (offset > 0 && (response.status === 416 || (response.status === 206 && (!resumed || changed)))) {
      await response.body?.cancel();
      response = await fetchFile(url, path, signal);
    }
    if (response.status === 404) return null;
    if (!response.ok) throw httpError(response, path);
    return response;
  }

  /** Appends the body to the stored file from `start`; returns the file's size when the body ends or fails. */
  private async stream(
    response: Response,
    path: string,
    url: string,
    start: number,
    total: number | undefined,
    options: ReadOptions,
  ): Promise<number> {
    const { store, modelId } = this.options;
    let writer: FileWriter;
    try {
      writer = await store.openWriter(dataPath(modelId, path), start);
    } catch (err) {
      throw isQuotaError(err) ? quotaErrorDuringWrite(err, path) : err;
    }
    let written = start;
    let failure: unknown;
    try {
      const reader = response.body?.getReader();
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        await writer.write(chunk.value);
        written += chunk.value.byteLength;
        options.onProgress?.(written, total);
      }
    } catch (err) {
      failure = err;
    }
    // Closing commits what arrived, so the next attempt resumes from here.
    try {
      await writer.close();
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) {
      throw isQuotaError(failure)
        ? quotaErrorDuringWrite(failure, path)
        : asDownloadError(failure, path, url, options.signal);
    }
    return written;
  }
}

function contentRangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The whole file's size: from Content-Range on a 206, from the body length on a 200. */
function totalSize(response: Response, start: number): number | undefined {
  if (response.status === 206) {
    const match = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    if (match) return Number(match[1]);
  }
  const length = declaredLength(response);
  return length === undefined ? undefined : start + length;
}
