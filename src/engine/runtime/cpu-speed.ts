/**
 * Measures a CPU backend's speeds on this device, in about three seconds, for the estimate shown before a
 * download (decode-cost.ts): 8-bit Linear layers in the form the 8-bit files hold them (DynamicQuantizeLinear,
 * MatMulInteger, the scales: onnxruntime fuses them as it fuses the files' layers), built in memory at the
 * decoder shapes of the 0.5B models the registry offers, timed with one row and with many, a write into fresh
 * memory and a copy between warm buffers.
 */
import type { CpuSpeed } from './decode-cost';
import { type WireInitializer, type WireNode, wireModel } from './onnx-wire';
import type { Backend, Ort } from './ort';
import { createSession } from './session';

export interface ProbeShape {
  /** Hidden size and MLP width: the layers go k → n, then n → k, in turn. */
  readonly k: number;
  readonly n: number;
  /** Rows of the many-row run (one layer): enough that the GEMM, not the call, sets its time. */
  readonly rows: number;
  /**
   * Layers of the one-row run, so that one row reads tens of MB of weights, as a decode step reads a
   * decoder's: one layer alone (a few MB) stays in the nearest caches, and at some shapes takes a slow path
   * the files' layers do not (bench/README.md).
   */
  readonly layers: number;
  readonly reps: number;
  /** Seconds of untimed runs before each timing, so that it sees the runtime's optimised code (secondsPerRun). */
  readonly settle: number;
}

/** Qwen1.5-0.5B's MLP, 1024 → 2816 (2.9 MB of 8-bit weights a layer); twelve layers read 35 MB a row. */
const DEFAULT_PROBE: ProbeShape = { k: 1024, n: 2816, rows: 128, layers: 12, reps: 7, settle: 1 };

/** Per-channel scales that keep the chain's activations near one (uniform bytes around 128 spread ~74). */
function scales(channels: number, inputs: number): Float32Array {
  return new Float32Array(channels).fill(1 / (74 * Math.sqrt(inputs)));
}

/**
 * `layers` 8-bit layers in a chain, their weights held as constants so that the kernel packs them once, as a
 * model file's are. Every layer holds the same bytes (building distinct ones would cost more than the probe).
 */
function linearChain({ k, n, layers }: Pick<ProbeShape, 'k' | 'n' | 'layers'>): Uint8Array {
  const weights = new Uint8Array(k * n);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 2654435761) >>> 24;
  const nodes: WireNode[] = [];
  const initializers: WireInitializer[] = [{ name: 'wz', type: 'uint8', dims: [], data: Uint8Array.of(128) }];
  let x = 'x';
  for (let layer = 0; layer < layers; layer++) {
    const [from, to] = layer % 2 === 0 ? [k, n] : [n, k];
    const name = (what: string) => `l${layer}.${what}`;
    initializers.push(
      { name: name('w'), type: 'uint8', dims: [from, to], data: weights },
      { name: name('ws'), type: 'float32', dims: [to], data: new Uint8Array(scales(to, from).buffer) },
    );
    nodes.push(
      { opType: 'DynamicQuantizeLinear', inputs: [x], outputs: [name('xq'), name('xs'), name('xz')] },
      {
        opType: 'MatMulInteger',
        inputs: [name('xq'), name('w'), name('xz'), 'wz'],
        outputs: [name('sums')],
      },
      { opType: 'Cast', inputs: [name('sums')], outputs: [name('sumsf')], attributes: { to: 1 } },
      { opType: 'Mul', inputs: [name('xs'), name('ws')], outputs: [name('scale')] },
      { opType: 'Mul', inputs: [name('sumsf'), name('scale')], outputs: [name('y')] },
    );
    x = name('y');
  }
  return wireModel(
    'cpu-speed-probe',
    [...nodes, { opType: 'Identity', inputs: [x], outputs: ['y'] }],
    [{ name: 'x', type: 'float32', dims: ['rows', k] }],
    [{ name: 'y', type: 'float32', dims: ['rows', layers % 2 === 0 ? k : n] }],
    initializers,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Median seconds of one run of `rows` rows through a chain of `layers`, after untimed runs for
 * `shape.settle` seconds: V8 first runs WebAssembly from its baseline compiler and tiers hot functions up in
 * the background, so a fresh runtime's runs are 3–10× slower for their first few hundred ms than a loaded
 * model's (bench/README.md). The probe is the first work of the worker's runtime.
 */
async function secondsPerRun(
  ort: Ort,
  backend: Extract<Backend, 'wasm' | 'cpu'>,
  shape: ProbeShape,
  { layers, rows }: { layers: number; rows: number },
): Promise<number> {
  const session = await createSession(ort, backend, {
    file: 'cpu-speed-probe (built in)',
    bytes: linearChain({ ...shape, layers }),
    externalData: [],
  });
  const x = new ort.Tensor(
    'float32',
    new Float32Array(rows * shape.k).map((_, i) => ((i % 17) - 8) / 8),
    [rows, shape.k],
  );
  const run = async () => {
    const start = performance.now();
    const out = await session.run({ x }, ['y']);
    const seconds = (performance.now() - start) / 1000;
    for (const tensor of Object.values(out)) tensor.dispose();
    return seconds;
  };
  try {
    await run();
    const started = performance.now();
    while ((performance.now() - started) / 1000 < shape.settle) await run();
    const seconds: number[] = [];
    for (let rep = 0; rep < shape.reps; rep++) seconds.push(await run());
    return median(seconds);
  } finally {
    x.dispose();
    await session.release();
  }
}

/** Bytes per second copied between two buffers already written: a pass over a cache kept in place. */
function warmCopyRate(bytes: number, tries: number): number {
  const from = new Uint8Array(bytes).fill(1);
  const to = new Uint8Array(bytes).fill(2);
  const rates: number[] = [];
  for (let i = 0; i <= tries; i++) {
    const start = performance.now();
    to.set(from);
    // The first copy is a warm-up.
    if (i > 0) rates.push(bytes / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

/** Bytes per second written into memory allocated just before: the page faults a fresh cache costs. */
function freshWriteRate(bytes: number, tries: number): number {
  const rates: number[] = [];
  for (let i = 0; i < tries; i++) {
    const start = performance.now();
    new Uint8Array(bytes).fill(1);
    rates.push(bytes / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

export async function measureCpuSpeed(
  ort: Ort,
  backend: Extract<Backend, 'wasm' | 'cpu'>,
  shape: ProbeShape = DEFAULT_PROBE,
): Promise<CpuSpeed> {
  const weightsOf = (layers: number) => layers * shape.k * shape.n;
  const manyRows = await secondsPerRun(ort, backend, shape, { layers: 1, rows: shape.rows });
  const oneRow = await secondsPerRun(ort, backend, shape, { layers: shape.layers, rows: 1 });
  const speed: CpuSpeed = {
    rowBytesPerSecond: weightsOf(shape.layers) / oneRow,
    macsPerSecond: (shape.rows * weightsOf(1)) / manyRows,
    freshBytesPerSecond: freshWriteRate(32 * 2 ** 20, 3),
    copyBytesPerSecond: warmCopyRate(32 * 2 ** 20, 3),
  };
  if (!Object.values(speed).every((value) => Number.isFinite(value) && value > 0))
    throw new Error(`The speed probe measured nothing usable: ${JSON.stringify(speed)}.`);
  return speed;
}
