import type { VitePWAOptions } from 'vite-plugin-pwa';

/**
 * The manifest has one theme colour; the dark one reaches the browser through
 * `<meta name="theme-color" media="(prefers-color-scheme: dark)">` in index.html.
 */
export const themeColors = { light: '#f6f7f9', dark: '#15171c' } as const;

/** The wasm builds of onnxruntime-web are 14–28 MB; precaching them is what makes the installed app start offline. */
const maxPrecachedFileBytes = 64 * 1024 * 1024;

export const pwaOptions: Partial<VitePWAOptions> = {
  registerType: 'prompt',
  // src/pwa/register.ts registers the worker itself, so the update prompt can ask before reloading.
  injectRegister: false,
  // The glob below already precaches everything in dist/, public icons included.
  includeManifestIcons: false,
  manifest: {
    id: '/',
    name: 'Glimpse',
    short_name: 'Glimpse',
    description:
      'Private visual chat: ask about a photo, answered by a vision-language model running on your device.',
    theme_color: themeColors.light,
    background_color: themeColors.light,
    display: 'standalone',
    start_url: '/',
    scope: '/',
    // Installed, the app is offered in the system share sheet for images (and any text shared with them).
    share_target: {
      action: '/share-target',
      method: 'POST',
      enctype: 'multipart/form-data',
      params: {
        title: 'title',
        text: 'text',
        url: 'url',
        files: [{ name: 'images', accept: ['image/*', '.jpg', '.jpeg', '.png', '.webp', '.gif'] }],
      },
    },
    icons: [
      { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  workbox: {
    globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,png,ico,webmanifest}'],
    maximumFileSizeToCacheInBytes: maxPrecachedFileBytes,
    navigateFallback: 'index.html',
    // Model files live in OPFS (src/storage/model-cache.ts); the service worker must neither cache them nor
    // answer a /models/ request with the app shell. Only the small model list is kept, so that the app
    // offline still lists the models it has stored.
    navigateFallbackDenylist: [/^\/models\//],
    runtimeCaching: [
      {
        // The share target's POST: the shared files are kept in the Cache API and the app opens with them
        // (src/storage/shared-files.ts takes them), online or not. Workbox writes this function into the
        // service worker as source, so it must use nothing from outside itself: the cache name and paths
        // are spelled here and in shared-files.ts alike.
        urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname === '/share-target',
        method: 'POST',
        handler: async ({ request }) => {
          const form = await request.formData();
          const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
          const cache = await caches.open('glimpse-shared');
          const files = form.getAll('images').filter((value): value is File => typeof value !== 'string');
          await Promise.all(
            files.map((file, index) =>
              cache.put(
                `/shared/${id}/${index}`,
                new Response(file, {
                  headers: { 'content-type': file.type, 'x-file-name': encodeURIComponent(file.name) },
                }),
              ),
            ),
          );
          const text = ['title', 'text', 'url']
            .map((name) => form.get(name))
            .filter((value) => typeof value === 'string' && value.trim() !== '')
            .join('\n');
          if (text !== '') await cache.put(`/shared/${id}/text`, new Response(text));
          return Response.redirect(`/?share=${id}`, 303);
        },
      },
      {
        urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname === '/models/index.json',
        handler: 'NetworkFirst',
        options: { cacheName: 'glimpse-model-index', networkTimeoutSeconds: 5 },
      },
    ],
    cleanupOutdatedCaches: true,
  },
};
