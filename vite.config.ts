import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { pwaOptions } from './src/pwa/options';
import { serveModels } from './src/serve/serve-models';
import { contentSecurityPolicyMeta } from './tools/vite/content-security-policy';

// Cross-origin isolation lets onnxruntime-web use wasm threads (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), VitePWA(pwaOptions), serveModels(), contentSecurityPolicyMeta()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
});
