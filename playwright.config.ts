import { defineConfig } from '@playwright/test';
import type { BackendOptions } from './e2e/fixtures';

/**
 * The built app, served as in production: service workers and offline tests need `vite build`.
 * GLIMPSE_E2E_PORT lets two checkouts on one machine run their suites side by side.
 */
const port = Number(process.env.GLIMPSE_E2E_PORT ?? 4173);

export default defineConfig<BackendOptions>({
  testDir: 'e2e',
  outputDir: 'test-results',
  // Two cores: one browser at a time; the tiny model on SwiftShader's WebGPU is the slow part.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    // Never download a browser: Debian's Chromium ships SwiftShader, which gives a software WebGPU adapter.
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        // A camera that draws a test pattern, for the camera tests; nothing else asks for one.
        '--use-fake-device-for-media-stream',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    // A failure keeps its trace: actions, DOM snapshots, console and network, and the screenshot below. The
    // trace's screencast is left out: on 2 cores its frames took the CPU SwiftShader's WebGPU runs on, and
    // e2e/shapes.spec.ts on webgpu took 3.5 min with it and 1.5 min without.
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `npx vite build && npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
    stdout: 'pipe',
  },
  projects: [
    { name: 'wasm', use: { backend: 'wasm' } },
    // SwiftShader's WebGPU decodes tiny-llava at under 1 token/s on 2 busy cores.
    { name: 'webgpu', use: { backend: 'webgpu' }, timeout: 480_000 },
  ],
});
