/**
 * Serves the bench page with a folder of model packages (the repository's models/ unless run.ts names
 * another), cross-origin isolated (wasm threads).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';
import { serveModels } from '../../src/serve/serve-models';

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const root = fileURLToPath(new URL('../..', import.meta.url));

export function benchConfig(modelsDir = `${root}models`): UserConfig {
  return {
    // transformers.js pins its own onnxruntime-web; the bench worker points it at that build's wasm files.
    define: {
      TRANSFORMERS_ORT_DIST: JSON.stringify(
        `/@fs${root}node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/`,
      ),
    },
    root: fileURLToPath(new URL('.', import.meta.url)),
    plugins: [serveModels(modelsDir)],
    // No hot reload: an edit to the sources during a run (minutes at real shapes) reloaded the page and lost it.
    server: { headers: isolationHeaders, fs: { allow: [root] }, hmr: false },
    worker: { format: 'es' },
    // Both entries are scanned up front, so no dependency found later reloads the page mid-run.
    optimizeDeps: {
      entries: ['index.html', 'bench.worker.ts'],
      include: ['@huggingface/transformers'],
      exclude: ['onnxruntime-web'],
    },
    logLevel: 'warn',
  };
}

export default defineConfig(benchConfig());
