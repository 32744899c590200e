/**
 * Times one Linear layer (M rows × K → N) in each weight format a package can ship, on onnxruntime-node's
 * CPU EP and onnxruntime-web's wasm EP, so the kernel a backend runs fastest is measured, not guessed.
 * `npx tsx tools/profile/linear-kernels.ts [--rows 1] [--k 1024] [--n 2816] [--threads 2] [--reps 20]`
 * Prints ms per run and the weight bytes read per second.
 */
import { parseArgs } from 'node:util';
import type { Ort } from '../../src/engine/index';
import { GraphBuilder, MS_DOMAIN } from '../../src/toolkit/onnx/graph';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1' },
    k: { type: 'string', default: '1024' },
    n: { type: 'string', default: '2816' },
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '20' },
    backends: { type: 'string', default: 'cpu,wasm' },
    variants: { type: 'string' },
  },
});
const M = Number(values.rows);
const K = Number(values.k);
const N = Number(values.n);
const threads = Number(values.threads);
const reps = Number(values.reps);

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface Variant {
  readonly name: string;
  readonly weightBytes: number;
  readonly build: (g: GraphBuilder, x: string) => string;
}

function nbits(bits: 4 | 8, block: number, accuracy: number): Variant {
  const kBlocks = Math.ceil(K / block);
  const blob = (N * kBlocks * block * bits) / 8;
  return {
    name: `MatMulNBits ${bits}-bit block ${block} acc ${accuracy}`,
    weightBytes: blob + N * kBlocks * 4,
    build: (g, x) =>
      g.op(
        'MatMulNBits',
        [
          x,
          g.initializer('w', 'uint8', [N, kBlocks, (block * bits) / 8], randomBytes(blob, 7)),
          g.initializer('s', 'float32', [N, kBlocks], new Float32Array(N * kBlocks).fill(0.01)),
        ],
        { K, N, bits, block_size: block, accuracy_level: accuracy },
        { domain: MS_DOMAIN },
      ),
  };
}

/** What onnxruntime's dynamic quantisation writes (the Hub's 'quantized' files): uint8 activations. */
function matmulInteger(weights: 'uint8' | 'int8'): Variant {
  return {
    name: `DynamicQuantizeLinear + MatMulInteger ${weights}`,
    weightBytes: K * N,
    build: (g, x) => {
      const [xq = '', xs = '', xz = ''] = g.node('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
      const bytes = randomBytes(K * N, 7);
      const w =
        weights === 'uint8'
          ? g.initializer('w', 'uint8', [K, N], bytes)
          : g.initializer('w', 'int8', [K, N], new Int8Array(bytes.buffer));
      const wz =
        weights === 'uint8'
          ? g.initializer('wz', 'uint8', [], Uint8Array.of(128))
          : g.initializer('wz', 'int8', [], Int8Array.of(0));
      const acc = g.op('MatMulInteger', [xq, w, xz, wz]);
      const scale = g.op('Mul', [xs, g.initializer('ws', 'float32', [N], new Float32Array(N).fill(0.01))]);
      return g.op('Mul', [g.op('Cast', [acc], { to: 1 }), scale]);
    },
  };
}

const VARIANTS: Variant[] = [
  nbits(4, 32, 4),
  nbits(4, 32, 0),
  nbits(4, 128, 4),
  nbits(4, 128, 0),
  nbits(8, 32, 4),
  nbits(8, 128, 4),
  matmulInteger('uint8'),
  matmulInteger('int8'),
  {
    name: 'MatMul float32',
    weightBytes: K * N * 4,
    build: (g, x) =>
      g.op('MatMul', [x, g.initializer('w', 'float32', [K, N], new Float32Array(K * N).fill(0.001))]),
  },
];

function model(variant: Variant): Uint8Array {
  const g = new GraphBuilder('linear');
  const x = g.input('x', 'float32', [M, K]);
  g.output('y', 'float32', [M, N], variant.build(g, x));
  return g.serialize().model;
}

async function time(ort: Ort, ep: string, variant: Variant): Promise<number> {
  const session = await ort.InferenceSession.create(model(variant), {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    logSeverityLevel: 3,
  });
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)),
    [M, K],
  );
  await session.run({ x });
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await session.run({ x });
    times.push(performance.now() - start);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const wanted = values.variants?.split(',');
for (const backend of values.backends.split(',')) {
  const ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
  if (backend === 'wasm') ort.env.wasm.numThreads = threads;
  console.log(`\n${backend} (${threads} threads), M=${M} K=${K} N=${N}`);
  for (const variant of VARIANTS) {
    if (wanted && !wanted.some((w) => variant.name.includes(w))) continue;
    try {
      const ms = await time(ort, backend, variant);
      const gbs = variant.weightBytes / (ms / 1000) / 1e9;
      console.log(
        `${variant.name.padEnd(46)} ${ms.toFixed(3).padStart(9)} ms  ${gbs.toFixed(2).padStart(6)} GB/s`,
      );
    } catch (err) {
      console.log(
        `${variant.name.padEnd(46)} failed: ${err instanceof Error ? err.message.split('\n')[0] : err}`,
      );
    }
  }
}
