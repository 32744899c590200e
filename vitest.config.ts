import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tools/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    // Model tests run real ONNX sessions on 2 CPU cores; a whole package build takes seconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
