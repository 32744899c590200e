/**
 * `glimpse bench`: Glimpse and transformers.js on the same model files in Node, one child process per
 * system and backend, compared per backend. Prints a table (or, with --json, the whole report as the last
 * line) and writes bench/results/<name>.json with its chart as SVG and PNG.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCeiling } from '../bench/ceiling';
import { describeMachine, measureReadBandwidth } from '../bench/machine';
import { measureGpuReadBandwidth } from '../bench/node/gpu-bandwidth';
import { type NodeJob, RESULT_PREFIX } from '../bench/node/job';
import type { BenchPlan } from '../bench/plan';
import {
  type BenchBackend,
  type BenchReport,
  compare,
  isSystemResult,
  type SystemFailure,
  type SystemResult,
} from '../bench/report';
import { reportTable } from '../bench/table';
import { writeReport } from '../bench/write-report';
import type { Dtype, ModelPart } from '../engine/index';
import { parseModelConfig } from '../engine/model/config';
import { chooseDtypes, deviceClass, partFile } from '../engine/model/files';
import { kvBytesPerPosition, meanDecodePositions } from '../engine/runtime/decode-cost';
import { BENCH_USAGE, type BenchOptions, parseBenchArgs } from './bench-args';
import { dawnAdapter } from './dawn-webgpu';
import type { CliIo } from './main';
import { UsageError } from './options';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const CHILD = join(ROOT, 'src/bench/node/run-system.ts');
export const SYNTHETIC_DIR = join(ROOT, '.cache/models/synthetic-interleave');

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export interface ModelSetup {
  readonly dir: string;
  readonly label: string;
  readonly imageSize: number;
  /** The files per part each backend loads. */
  readonly dtypes: (backend: BenchBackend) => Partial<Record<ModelPart, Dtype>>;
  readonly plan: BenchPlan;
}

/**
 * The engine's own choice of files for the backend (what the app and the CLI load there), or, with
 * --dtype, that variant of the decoder and vision encoder wherever the package has it.
 */
function packageDtypes(dir: string, backend: BenchBackend, shaderF16: boolean, forced: Dtype | undefined) {
  const files = readdirSync(join(dir, 'onnx')).map((name) => `onnx/${name}`);
  const chosen = chooseDtypes(files, deviceClass(backend, shaderF16));
  if (forced === undefined) return chosen;
  for (const part of ['vision_encoder', 'decoder_model_merged'] as const)
    if (files.includes(partFile(part, forced))) chosen[part] = forced;
  return chosen;
}

/**
 * Whether Dawn's adapter computes in half precision: the GPU both systems' webgpu runtimes run on, so f16
 * files are chosen for webgpu only where it does (false where Dawn finds no adapter).
 */
async function webgpuShaderF16(): Promise<boolean> {
  const adapter = await dawnAdapter();
  return typeof adapter !== 'string' && adapter.features.has('shader-f16');
}

/** `webgpuShaderF16`: the webgpu backend may run f16 files (the browser bench's software adapter may not). */
export function resolveModel(options: BenchOptions, webgpuShaderF16 = false): ModelSetup {
  const synthetic = options.model === 'synthetic-interleave';
  let dir: string;
  if (options.model === 'tiny-llava') dir = join(ROOT, 'models/tiny-llava-fused');
  else if (synthetic) {
    dir = SYNTHETIC_DIR;
    // The builder is a repository tool, not part of the published CLI.
    if (!existsSync(join(dir, 'config.json'))) {
      throw new UsageError(
        `No synthetic package at ${dir}. Build it first (~1.8 GB): npx tsx tools/packages/synthetic-build.ts ${dir}`,
      );
    }
  } else dir = resolve(options.model);
  if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`No model package at ${dir}.`);
  if (!existsSync(join(dir, 'preprocessor_config.json'))) {
    throw new UsageError(
      `${dir} has no preprocessor_config.json: glimpse bench times a photo question, so it needs a vision model. ` +
        '`glimpse generate --json` gives the timings of a text model.',
    );
  }
  // Real shapes are slow on 2 cores: few runs and few tokens, which still give every figure.
  const small = synthetic || options.quick;
  const plan: BenchPlan = {
    runs: options.runs ?? (synthetic ? 2 : options.quick ? 3 : 5),
    maxNewTokens: options.maxNewTokens ?? (synthetic ? 8 : options.quick ? 24 : 48),
    turns: options.turns,
    maxNewTokensPerTurn: small ? 4 : 16,
    ...(options.draftTokens === undefined ? {} : { draftTokens: options.draftTokens }),
  };
  const dtypes = (backend: BenchBackend) =>
    packageDtypes(dir, backend, backend === 'webgpu' && webgpuShaderF16, options.dtype);
  // A folder is named by its last part: the label names the report's file.
  const label = synthetic || options.model === 'tiny-llava' ? options.model : basename(dir);
  return { dir, label, imageSize: imageSize(dir), dtypes, plan };
}

interface Bandwidth {
  readonly readBytesPerSecond: number;
  readonly memory: string;
}

/** The result with the decode ceiling its decoder file and the read bandwidth of its backend's memory give. */
function withCeiling(result: SystemResult, dir: string, bandwidth: Bandwidth | undefined): SystemResult {
  if (bandwidth === undefined) return result;
  // On the CPU backends Glimpse reads the static decoder in place of the merged one: the same weights.
  const decoder = result.files.decoder_model_merged ?? result.files.decoder_model_static;
  const run = result.runs[0];
  if (decoder === undefined || run === undefined) return result;
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), null);
  const { numLayers, numKvHeads, headDim } = config;
  if (numLayers === undefined || numKvHeads === undefined || headDim === undefined) return result;
  const ceiling = decodeCeiling(
    bandwidth,
    statSync(join(dir, decoder)).size,
    kvBytesPerPosition({ numLayers, numKvHeads, headDim }),
    meanDecodePositions(run.promptTokens, run.generatedTokens),
  );
  return { ...result, ceiling };
}

/** The square input side from preprocessor_config.json (crop_size, else size). */
function imageSize(dir: string): number {
  const json: unknown = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
  const side = (value: unknown): number | undefined => {
    if (typeof value === 'number') return value;
    if (typeof value !== 'object' || value === null) return undefined;
    for (const key of ['height', 'shortest_edge']) {
      const found: unknown = Reflect.get(value, key);
      if (typeof found === 'number') return found;
    }
    return undefined;
  };
  if (typeof json === 'object' && json !== null) {
    const found = side(Reflect.get(json, 'crop_size')) ?? side(Reflect.get(json, 'size'));
    if (found !== undefined) return found;
  }
  throw new UsageError(`${dir}/preprocessor_config.json names no image size.`);
}

function runChild(job: NodeJob, io: CliIo, timeoutS: number | undefined): Promise<SystemResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(job)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer =
      timeoutS === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutS * 1000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`took longer than --timeout ${timeoutS} s`));
        return;
      }
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line !== undefined) {
        const parsed: unknown = JSON.parse(line.slice(RESULT_PREFIX.length));
        if (isSystemResult(parsed)) {
          resolvePromise(parsed);
          return;
        }
      }
      const tail = stderr.trim().split('\n').slice(-6).join('\n');
      io.stderr(`${tail}\n`);
      const message = tail.split('\n').find((l) => /Error/.test(l)) ?? `exit code ${code}`;
      reject(new Error(message.trim()));
    });
  });
}

function filesOf(setup: ModelSetup, backend: BenchBackend): string {
  try {
    return Object.entries(setup.dtypes(backend))
      .map(([part, dtype]) => `${part} ${dtype}`)
      .join(', ');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The read bandwidth of one core (the CPU backends' ceiling) and, where a result ran on webgpu, of the
 * GPU's memory through Dawn, measured once the children are done so that nothing else competes.
 */
async function measureBandwidths(
  results: readonly SystemResult[],
  io: CliIo,
): Promise<{ cpu: Bandwidth; gpu: Bandwidth | undefined }> {
  const cpu = { readBytesPerSecond: measureReadBandwidth(), memory: 'one core' };
  if (!results.some((result) => result.backend === 'webgpu')) return { cpu, gpu: undefined };
  const gpu = await measureGpuReadBandwidth();
  if (typeof gpu !== 'string')
    return { cpu, gpu: { readBytesPerSecond: gpu.readBytesPerSecond, memory: gpu.adapter } };
  io.stderr(`No webgpu ceiling: ${gpu}\n`);
  return { cpu, gpu: undefined };
}

export async function runBench(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${BENCH_USAGE}\n`);
    return 0;
  }
  let options: BenchOptions;
  let setup: ModelSetup;
  try {
    options = parseBenchArgs(argv);
    setup = resolveModel(options, options.backends.includes('webgpu') && (await webgpuShaderF16()));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`glimpse bench: ${err.message}\n\n${BENCH_USAGE}\n`);
    return 2;
  }
  const results: SystemResult[] = [];
  const failures: SystemFailure[] = [];
  for (const backend of options.backends) {
    for (const system of options.systems) {
      io.stderr(`${system} on ${backend} …\n`);
      const job = (): NodeJob => ({
        system,
        backend,
        modelDir: setup.dir,
        imageSize: setup.imageSize,
        dtype: setup.dtypes(backend),
        plan: setup.plan,
        wasmThreads: options.wasmThreads,
        cpuThreads: options.cpuThreads,
        staticCache: options.staticCache,
        rowCache: options.rowCache,
        packedQkv: options.packedQkv,
        graphCapture: options.graphCapture,
        ...(options.cpuAttention ? { cpuAttention: options.cpuAttention } : {}),
      });
      try {
        // A backend the package's files cannot run on (f16 only, no shader-f16) fails here, named.
        results.push(await runChild(job(), io, options.timeout));
      } catch (err) {
        failures.push({ system, backend, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  const bandwidth = await measureBandwidths(results, io);
  const report: BenchReport = {
    name: options.name ?? `node-${setup.label}`,
    date: new Date().toISOString(),
    machine: describeMachine(),
    model: `${setup.label} (${options.backends.map((backend) => `${backend}: ${filesOf(setup, backend)}`).join('; ')})`,
    settings: {
      environment: `Node ${process.version}`,
      imageSize: setup.imageSize,
      ...setup.plan,
      wasmThreads: options.wasmThreads,
      quick: options.quick,
    },
    results: results.map((result) =>
      withCeiling(result, setup.dir, result.backend === 'webgpu' ? bandwidth.gpu : bandwidth.cpu),
    ),
    failures,
    comparisons: compare(results),
  };
  const written = await writeReport(report, RESULTS);
  io.stdout(`${reportTable(report)}\n\nMachine: ${report.machine}\nWrote ${written.join(', ')}\n`);
  if (options.json) io.stdout(`${JSON.stringify(report)}\n`);
  return failures.length > 0 && results.length === 0 ? 1 : 0;
}
