/**
 * Where a Hugging Face model lives: a repository id (and revision) becomes the URL prefix
 * `https://huggingface.co/{repo}/resolve/{revision}/`, or the same layout on a mirror host. What a person
 * types in the model picker is read here: `owner/name`, `owner/name@revision`, or a URL (a repository page,
 * a `…/resolve/{revision}/` prefix, or any folder that holds a package), https or this app's own origin.
 */
import { GlimpseError } from '../engine/errors';
import { resolvePackageUrl } from './source-url';

export const HUB_HOST = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface HubLocation {
  /** The repository id, or the URL when the location is not a Hub repository. */
  readonly id: string;
  readonly revision: string | undefined;
  /** Package files are read from here: `${baseUrl}config.json`, `${baseUrl}onnx/…`. */
  readonly baseUrl: string;
  /** The Hub or mirror whose API lists the repository; undefined when the location is a plain folder. */
  readonly endpoint: string | undefined;
}

// The Hub's rule for names: letters, digits, '-', '_', '.', not starting with '-' or '.', at most 96 long.
const NAME = '[A-Za-z0-9_][A-Za-z0-9._-]{0,95}';
const REPO_ID = new RegExp(`^(${NAME})/(${NAME})(?:@([A-Za-z0-9._/-]+))?$`);

export function isRepoId(text: string): boolean {
  const match = REPO_ID.exec(text.trim());
  return match !== null && !text.includes('..');
}

/** The URL prefix of a repository's files at a revision, on the Hub or a mirror with the same layout. */
export function hubPackageUrl(repo: string, revision = DEFAULT_REVISION, host = HUB_HOST): string {
  if (!isRepoId(repo) || repo.includes('@')) {
    throw new GlimpseError('package-invalid', `"${repo}" is not a Hugging Face repository id (owner/name).`, {
      details: { repo },
    });
  }
  const root = host.endsWith('/') ? host : `${host}/`;
  return new URL(`${repo}/resolve/${encodeURIComponent(revision)}/`, root).href;
}

/**
 * Reads a location a person entered. `host` is the Hub or a mirror, for bare repository ids; `origin` is
 * the app's, so that its own server may use plain http.
 */
export function parseHubLocation(
  text: string,
  options: { host?: string; origin?: string } = {},
): HubLocation {
  const input = text.trim();
  const repo = REPO_ID.exec(input);
  if (repo && !input.includes('..')) {
    const [, owner, name, revision] = repo;
    const id = `${owner}/${name}`;
    const rev = revision ?? DEFAULT_REVISION;
    const endpoint = options.host ?? HUB_HOST;
    const baseUrl = hubPackageUrl(id, rev, endpoint);
    resolvePackageUrl(baseUrl, options.origin);
    return { id, revision: rev, baseUrl, endpoint };
  }
  const url = resolvePackageUrl(input, options.origin);
  // A repository page: …/owner/name/tree/rev anywhere, or …/owner/name on the Hub or the chosen mirror
  // (elsewhere a two-level path is just a folder).
  const page = new RegExp(`^/(${NAME})/(${NAME})(?:/(?:tree|blob)/([^/]+))?/?$`).exec(url.pathname);
  const hubHosts = [HUB_HOST, options.host].map((host) => (host ? new URL(host).origin : undefined));
  if (page && (page[3] !== undefined || hubHosts.includes(url.origin))) {
    const [, owner, name, revision] = page;
    const id = `${owner}/${name}`;
    const rev = revision === undefined ? DEFAULT_REVISION : decodeURIComponent(revision);
    return { id, revision: rev, baseUrl: hubPackageUrl(id, rev, url.origin), endpoint: url.origin };
  }
  const resolved = /^\/(.+?)\/resolve\/([^/]+)\//.exec(url.pathname);
  if (resolved?.[1] !== undefined && resolved[2] !== undefined && isRepoId(resolved[1])) {
    const rev = decodeURIComponent(resolved[2]);
    const endpoint = url.origin;
    return { id: resolved[1], revision: rev, baseUrl: hubPackageUrl(resolved[1], rev, endpoint), endpoint };
  }
  return { id: url.href, revision: undefined, baseUrl: url.href, endpoint: undefined };
}

/**
 * The download size of a file from a HEAD request: the Hub answers LFS files with `x-linked-size` (and a
 * redirect to its CDN, whose Content-Length is the same); null when the file is absent or its size unknown.
 */
export async function headFileSize(url: string, signal?: AbortSignal): Promise<number | null> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', signal, cache: 'no-store' });
  } catch (cause) {
    throw new GlimpseError('download-failed', `Could not reach ${url} to read its size.`, {
      cause,
      details: { url },
    });
  }
  if (!response.ok) return null;
  const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length'));
  return Number.isFinite(size) && size >= 0 ? size : null;
}
