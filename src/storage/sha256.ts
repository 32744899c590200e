/** Hex sha256 of bytes already in memory (Web Crypto digests whole buffers only). */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The sha256 an ETag carries, when it carries one: the Hugging Face Hub and the app's own /models/ server
 * send an LFS file's sha256 as its ETag. Other ETags (a git blob's sha1, an opaque tag) give undefined.
 */
export function sha256FromEtag(etag: string | null): string | undefined {
  const match = etag && /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(etag.trim());
  return match ? match[1]?.toLowerCase() : undefined;
}
