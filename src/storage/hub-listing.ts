/**
 * A Hub repository's own listing, read before anything is downloaded: the commit a revision points at
 * (`GET {endpoint}/api/models/{repo}/revision/{revision}`), then every file at that commit
 * (`GET {endpoint}/api/models/{repo}/tree/{commit}?recursive=true`, paged by `Link: <…>; rel="next"`).
 * LFS entries carry the file's sha256 (`lfs.oid`) and size. The download plan chooses only among these
 * files, every file is read from `resolve/{commit}`, so a push mid-download cannot mix two versions, and
 * every LFS download is checked against the listed sha256 — which a browser could not get otherwise: the
 * Hub sends it only on the redirect to its CDN, which fetch follows unseen.
 *
 * Written here rather than with @huggingface/hub's listFiles: that generator hides the responses, so it
 * cannot tell which commit answered, and this is the only Hub call Glimpse makes (one module, both homes).
 */
import { GlimpseError } from '../engine/errors';
import { isJsonObject, numberField, stringField } from '../engine/model/json';
import type { ManifestFile } from './cache-records';
import { asDownloadError, fetchFile } from './http-reader';
import { hubPackageUrl } from './hub-source';

export interface HubListing {
  readonly repo: string;
  /** The 40-hex commit the revision resolved to; files are read from `resolve/{commit}/`. */
  readonly commit: string;
  /** Where the files are read from, pinned to the commit. */
  readonly baseUrl: string;
  /** Every file; LFS files with their sha256. */
  readonly files: readonly ManifestFile[];
}

export interface ListingOptions {
  readonly endpoint: string;
  readonly signal?: AbortSignal;
}

export async function fetchHubListing(
  repo: string,
  revision: string,
  { endpoint, signal }: ListingOptions,
): Promise<HubListing> {
  const api = (path: string) => new URL(`api/models/${repo}/${path}`, withSlash(endpoint)).href;
  const info = await getJson(api(`revision/${encodeURIComponent(revision)}`), repo, signal);
  const commit = isJsonObject(info.body) ? stringField(info.body, 'sha') : undefined;
  if (commit === undefined || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new GlimpseError('package-invalid', `The Hub named no commit for ${repo}@${revision}.`, {
      details: { repo, revision },
    });
  }
  const files: ManifestFile[] = [];
  let next: string | undefined = api(`tree/${commit}?recursive=true`);
  while (next !== undefined) {
    const page = await getJson(next, repo, signal);
    if (!Array.isArray(page.body)) throw notAListing(repo, next);
    for (const entry of page.body) {
      const file = listedFile(entry);
      if (file) files.push(file);
    }
    next = nextLink(page.response.headers.get('link'), next);
  }
  return { repo, commit, baseUrl: hubPackageUrl(repo, commit, endpoint), files };
}

function listedFile(entry: unknown): ManifestFile | undefined {
  if (!isJsonObject(entry) || entry.type !== 'file') return undefined;
  const path = stringField(entry, 'path');
  const size = numberField(entry, 'size');
  if (path === undefined || size === undefined) return undefined;
  const lfs = entry.lfs;
  if (!isJsonObject(lfs)) return { path, size };
  const sha256 = stringField(lfs, 'oid');
  const lfsSize = numberField(lfs, 'size') ?? size;
  return sha256 && /^[0-9a-f]{64}$/.test(sha256) ? { path, size: lfsSize, sha256 } : { path, size: lfsSize };
}

/** The `rel="next"` target of a Link header, resolved against the page it came with. */
export function nextLink(header: string | null, base: string): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]*)>\s*;(?:.*;)?\s*rel="?next"?/.exec(part);
    if (match?.[1] !== undefined) return new URL(match[1], base).href;
  }
  return undefined;
}

async function getJson(
  url: string,
  repo: string,
  signal: AbortSignal | undefined,
): Promise<{ response: Response; body: unknown }> {
  const response = await fetchFile(url, `the listing of ${repo}`, signal);
  if (response.status === 404 || response.status === 401) {
    await response.body?.cancel();
    throw new GlimpseError(
      'package-file-missing',
      `The Hub has no repository ${repo} at this revision (${response.headers.get('x-error-code') ?? response.status}). Check the name and revision.`,
      { details: { repo, url, status: response.status } },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new GlimpseError(
      'download-failed',
      `The Hub answered ${response.status} for the listing of ${repo} (${url}). Try again later.`,
      { details: { repo, url, status: response.status } },
    );
  }
  try {
    return { response, body: await response.json() };
  } catch (err) {
    if (signal?.aborted) throw asDownloadError(err, `the listing of ${repo}`, url, signal);
    throw notAListing(repo, url);
  }
}

function notAListing(repo: string, url: string): GlimpseError {
  return new GlimpseError('package-invalid', `The listing of ${repo} (${url}) is not a file list.`, {
    details: { repo, url },
  });
}

function withSlash(endpoint: string): string {
  return endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}
