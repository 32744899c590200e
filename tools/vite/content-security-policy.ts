import type { Plugin } from 'vite';

/**
 * Everything the built app loads comes from its own origin, except model files, which a user may point
 * at any https host (the Hugging Face Hub). No inline script; 'wasm-unsafe-eval' lets onnxruntime-web
 * compile its WebAssembly, blob: covers the images the app shows from object URLs and any worker the
 * runtime spawns from a blob. Model answers render as markdown without raw HTML or images, so nothing
 * else is needed.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' https:",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Puts the policy into the built index.html as a meta tag, so it holds wherever the files are hosted.
 * Only in builds: the dev server injects an inline React Refresh preamble that the policy would block.
 */
export function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'glimpse-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy },
        injectTo: 'head-prepend',
      },
    ],
  };
}
