/** Serves the bench page with the repository's model packages, cross-origin isolated (wasm threads). */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { serveModels } from '../../src/serve/serve-models';

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  // transformers.js pins its own onnxruntime-web; the bench worker points it at that build's wasm files.
  define: {
    TRANSFORMERS_ORT_DIST: JSON.stringify(
      `/@fs${root}node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/`,
    ),
  },
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [serveModels(fileURLToPath(new URL('../../models', import.meta.url)))],
  server: { headers: isolationHeaders, fs: { allow: [root] } },
  worker: { format: 'es' },
  // Both entries are scanned up front, so no dependency found later reloads the page mid-run.
  optimizeDeps: {
    entries: ['index.html', 'bench.worker.ts'],
    include: ['@huggingface/transformers'],
    exclude: ['onnxruntime-web'],
  },
  logLevel: 'warn',
});
