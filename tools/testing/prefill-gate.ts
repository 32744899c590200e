/**
 * WebGPU against the CPU, logits for logits, over prefills of many lengths: the gate for the WebGPU
 * attention fault that attention-check.ts works around and narrow-subgroups.ts removes. For each decoder
 * file it runs the same prefill (deterministic inputs_embeds, empty cache) on a WebGPU provider and on the
 * reference, once as the engine runs it (chunked where the load-time check says so) and once in one run,
 * and prints one JSON line per file and length. The WebGPU provider is onnxruntime-node's, or with
 * `--webgpu dawn` onnxruntime-web's over Dawn, the code the browser runs, given the adapter as the engine's
 * runtimes give it. Run it with a WebGPU adapter available (Chromium's SwiftShader here:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium).
 *
 *   npx tsx tools/testing/prefill-gate.ts models/tiny-llava/onnx/decoder_model_merged.onnx … [--lengths 1,32,511]
 *     [--reference cpu|wasm] [--webgpu node|dawn]
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { runDecoder } from '../../src/engine/decoder/decoder';
import { KvCache } from '../../src/engine/decoder/kv-cache';
import { withRunLimit } from '../../src/engine/decoder/run-limit';
import { parseModelConfig } from '../../src/engine/model/config';
import { checkDecoder, type DecoderSpec } from '../../src/engine/model/validate';
import type { Backend, Ort } from '../../src/engine/runtime/ort';
import { createSession } from '../../src/engine/runtime/session';

export interface GateRow {
  readonly file: string;
  readonly length: number;
  /** Positions per WebGPU run as the engine runs it; null when unlimited. */
  readonly maxRunPositions: number | null;
  /** Largest |WebGPU − CPU| over the last position's logits, as the engine runs the prefill. */
  readonly engineDiff: number;
  /** The same in one run of all positions, whatever the check said. */
  readonly oneRunDiff: number;
  readonly sameArgmax: boolean;
}

const DEFAULT_LENGTHS = [1, 2, 8, 16, 31, 32, 33, 48, 64, 100, 128, 256, 511];

function embeds(length: number, hidden: number): Float32Array {
  return Float32Array.from(
    { length: length * hidden },
    (_, i) => 0.5 * Math.sin(i * 0.37 + (i % hidden) * 0.11),
  );
}

export type WebGpuRuntime = 'node' | 'dawn';

/** onnxruntime-node for cpu, and for webgpu unless it runs over Dawn; onnxruntime-web for wasm. */
async function runtime(backend: Backend, webgpu: WebGpuRuntime): Promise<Ort> {
  if (backend === 'webgpu' && webgpu === 'dawn') {
    const dawn = await loadDawnRuntime();
    if (typeof dawn === 'string') throw new Error(dawn);
    return dawn.ort;
  }
  return backend === 'wasm' ? ortWeb : ortNode;
}

interface Decoder {
  readonly ort: Ort;
  readonly spec: DecoderSpec;
  readonly hidden: number;
}

async function prefill({ ort, spec }: Decoder, length: number, hidden: number): Promise<Float32Array> {
  const cache = new KvCache(ort, spec);
  try {
    return await runDecoder(ort, spec, cache, {
      kind: 'embeds',
      data: embeds(length, hidden),
      length,
      hidden,
    });
  } finally {
    cache.clear();
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if ((a[i] ?? 0) > (a[best] ?? 0)) best = i;
  return best;
}

async function decoderOn(backend: Backend, file: string, webgpu: WebGpuRuntime): Promise<Decoder> {
  const ort = await runtime(backend, webgpu);
  const packageDir = dirname(dirname(file));
  const config = parseModelConfig(JSON.parse(await readFile(join(packageDir, 'config.json'), 'utf8')), null);
  const session = await createSession(ort, backend, { file, bytes: await readFile(file), externalData: [] });
  const spec = await withRunLimit(ort, backend, checkDecoder(session, file, config), config.numHeads);
  const hidden = session.inputMetadata.find((m) => m.name === 'inputs_embeds');
  const dims = hidden && 'shape' in hidden ? hidden.shape : [];
  const width = dims[dims.length - 1];
  if (typeof width !== 'number') throw new Error(`${file}: inputs_embeds has no fixed width`);
  return { ort, spec, hidden: width };
}

/**
 * `reference` is the backend compared with: the CPU provider for float files; wasm for 4-bit ones, since
 * onnxruntime-node's CPU MatMulNBits at accuracy_level 4 rounds activations to 8 bits and WebGPU and wasm
 * do not.
 */
export async function gate(
  files: readonly string[],
  lengths: readonly number[],
  reference: Backend,
  webgpu: WebGpuRuntime = 'node',
): Promise<GateRow[]> {
  const rows: GateRow[] = [];
  for (const file of files) {
    const gpu = await decoderOn('webgpu', file, webgpu);
    const cpu = await decoderOn(reference, file, webgpu);
    const oneRun: Decoder = { ...gpu, spec: { ...gpu.spec, maxRunPositions: undefined } };
    for (const length of lengths) {
      const expected = await prefill(cpu, length, cpu.hidden);
      const engine = await prefill(gpu, length, gpu.hidden);
      const whole = await prefill(oneRun, length, gpu.hidden);
      rows.push({
        file,
        length,
        maxRunPositions: gpu.spec.maxRunPositions ?? null,
        engineDiff: maxDiff(engine, expected),
        oneRunDiff: maxDiff(whole, expected),
        sameArgmax: argmax(engine) === argmax(expected),
      });
    }
    await Promise.all([gpu.spec.session.release(), cpu.spec.session.release()]);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const lengths = option('--lengths')?.split(',').map(Number) ?? DEFAULT_LENGTHS;
  const reference = option('--reference') === 'wasm' ? 'wasm' : 'cpu';
  const webgpu = option('--webgpu') === 'dawn' ? 'dawn' : 'node';
  for (const row of await gate(args, lengths, reference, webgpu)) console.log(JSON.stringify(row));
}
