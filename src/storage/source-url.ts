import { GlimpseError } from '../engine/errors';

/**
 * Resolves where a model package lives. A user-supplied location may be https anywhere, or anything on
 * the app's own origin; plain http elsewhere is refused, because model bytes and the page would then
 * travel unprotected.
 */
export function resolvePackageUrl(baseUrl: string, origin: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(baseUrl, origin);
  } catch (cause) {
    throw new GlimpseError('download-failed', `"${baseUrl}" is not a URL a model can be downloaded from.`, {
      cause,
      details: { url: baseUrl },
    });
  }
  if (url.protocol !== 'https:' && url.origin !== origin) {
    throw new GlimpseError(
      'download-failed',
      `Models load only over https or from this app's own server; "${url.href}" is neither.`,
      { details: { url: url.href } },
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * The URL of one file of the package; each path segment is escaped, the slashes are kept. A path comes
 * from a file listing, which a host controls: it stays inside the package folder, so neither a leading
 * `//` (another host) nor a `..` segment can send a download elsewhere.
 */
export function fileUrl(base: URL, path: string): string {
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    throw new GlimpseError('package-invalid', `The package lists a file outside its folder: "${path}".`, {
      details: { file: path },
    });
  }
  return new URL(`./${segments.map(encodeURIComponent).join('/')}`, base).href;
}
