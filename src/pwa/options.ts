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
        urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname === '/models/index.json',
        handler: 'NetworkFirst',
        options: { cacheName: 'glimpse-model-index', networkTimeoutSeconds: 5 },
      },
    ],
    cleanupOutdatedCaches: true,
  },
};
