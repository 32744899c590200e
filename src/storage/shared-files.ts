/**
 * What another app shared into the installed Glimpse. The service worker (src/pwa/options.ts) takes the
 * share target's POST and keeps each file under `/shared/<share id>/<index>`, and any text under
 * `/shared/<share id>/text`, in this cache; the app, opened at `/?share=<share id>`, takes them out here.
 */
export const sharedFilesCache = 'glimpse-shared';

export interface SharedItems {
  readonly files: readonly { readonly blob: Blob; readonly name: string }[];
  readonly text: string;
}

/** Reads one share and empties the cache, so a share is attached once and nothing shared lingers. */
export async function takeSharedItems(shareId: string): Promise<SharedItems> {
  const cache = await caches.open(sharedFilesCache);
  const prefix = new URL(`/shared/${encodeURIComponent(shareId)}/`, location.origin).href;
  const files: { index: number; blob: Blob; name: string }[] = [];
  let text = '';
  for (const request of await cache.keys()) {
    const response = request.url.startsWith(prefix) ? await cache.match(request) : undefined;
    const part = request.url.slice(prefix.length);
    if (response && part === 'text') text = await response.text();
    else if (response) {
      const name = decodeURIComponent(response.headers.get('x-file-name') ?? '') || `shared-${part}`;
      files.push({ index: Number(part), blob: await response.blob(), name });
    }
    await cache.delete(request);
  }
  files.sort((a, b) => a.index - b.index);
  return { files: files.map(({ blob, name }) => ({ blob, name })), text };
}
