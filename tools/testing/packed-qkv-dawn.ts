/**
 * Decoders as they are and with q, k and v packed (packed-qkv-graph.ts), run by onnxruntime-web's WebGPU
 * provider in Node over Dawn: one JSON line with, for each graph, the largest difference between the two's
 * outputs (logits and presents) for a prefill of made-up embeddings into an empty cache, and the kernels
 * each run dispatched (dawn-kernels.ts). The graphs are random-decoder.ts's (static step and merged
 * decoder, fp32 and q4), or with --decoder a package's file (its kind from its inputs). Run in its own
 * process: Dawn reads the loader's environment when it starts.
 *
 *   npx tsx tools/testing/packed-qkv-dawn.ts [--positions 5] [--decoder DIR/onnx/decoder_model_static_q4.onnx]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KernelCounter } from '../../src/cli/dawn-kernels';
import { dawnDevice, loadDawnRuntime } from '../../src/cli/dawn-webgpu';
import { withPackedQkv } from '../../src/engine/decoder/packed-qkv-graph';
import type { OrtSession, OrtTensor } from '../../src/engine/runtime/ort';
import { sessionInputs } from '../../src/engine/runtime/session';
import {
  type DecoderDtype,
  type DecoderKind,
  type DecoderShape,
  feeds,
  randomDecoder,
} from './random-decoder';

const { values } = parseArgs({
  options: { positions: { type: 'string', default: '5' }, decoder: { type: 'string' } },
});
const positions = Number(values.positions);
const runtime = await loadDawnRuntime();
if (typeof runtime === 'string') throw new Error(runtime);
const { ort } = runtime;
const counter = KernelCounter.install(() => dawnDevice(ort));

/** The decoder's kind and sizes, from its inputs. */
function shapeOf(session: OrtSession): { kind: DecoderKind; shape: DecoderShape } {
  const inputs = sessionInputs(session);
  const dims = (name: string) => inputs.find((v) => v.name === name)?.shape ?? [];
  const [, kvHeads, , headDim] = dims('past_key_values.0.key');
  const hidden = dims('inputs_embeds').at(-1);
  if (typeof kvHeads !== 'number' || typeof headDim !== 'number' || typeof hidden !== 'number')
    throw new Error('the decoder has no fixed KV heads, head size or hidden size');
  return {
    kind: inputs.some((v) => v.name === 'seqlens_k') ? 'static' : 'merged',
    shape: {
      hiddenSize: hidden,
      numLayers: inputs.filter((v) => /^past_key_values\.\d+\.key$/.test(v.name)).length,
      numKvHeads: kvHeads,
      headDim,
    },
  };
}

async function run(model: Uint8Array) {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  } as never);
  try {
    const { kind, shape } = shapeOf(session);
    const input = Object.fromEntries(
      Object.entries(feeds(kind, positions, { shape })).map(([name, f]) => [
        name,
        new ort.Tensor(f.type, f.data, f.dims),
      ]),
    );
    await session.run(input as never);
    counter.start();
    const out = (await session.run(input as never)) as Record<string, OrtTensor>;
    const { dispatches } = await counter.stop();
    const values = Object.fromEntries(
      Object.entries(out).map(([name, tensor]) => [name, tensor.data as Float32Array]),
    );
    return { kind, values, dispatches };
  } finally {
    await session.release();
  }
}

async function compare(label: Record<string, string>, model: Uint8Array) {
  const packed = withPackedQkv(model);
  const plain = await run(model);
  const joined = await run(packed.model);
  let maxDifference = 0;
  for (const [name, values] of Object.entries(plain.values)) {
    const other = joined.values[name];
    if (other?.length !== values.length) throw new Error(`the packed graph's ${name} differs in size`);
    values.forEach((v, i) => {
      maxDifference = Math.max(maxDifference, Math.abs(v - (other[i] ?? Number.NaN)));
    });
  }
  return {
    ...label,
    kind: plain.kind,
    packedLayers: packed.packed,
    skipped: packed.skipped,
    maxDifference,
    kernels: plain.dispatches,
    packedKernels: joined.dispatches,
  };
}

const graphs = [];
if (values.decoder) graphs.push(await compare({ file: values.decoder }, readFileSync(values.decoder)));
else
  for (const kind of ['static', 'merged'] as const)
    for (const dtype of ['q4', 'fp32'] as DecoderDtype[])
      graphs.push(await compare({ dtype }, randomDecoder(kind, dtype)));
console.log(JSON.stringify({ adapter: runtime.adapter, positions, graphs }));
