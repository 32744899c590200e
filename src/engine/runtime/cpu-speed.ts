/**
 * Measures a CPU backend's speeds on this device, in well under a second, for the estimate shown before a
 * download (decode-cost.ts): one 8-bit Linear layer — DynamicQuantizeLinear + MatMulInteger, the kernels the
 * 8-bit files run on (bench/README.md) — built in memory at the MLP shape of the 0.5B models the registry
 * offers, timed with one row and with many, a write into fresh memory and a copy between warm buffers.
 */
import type { CpuSpeed } from './decode-cost';
import { wireModel } from './onnx-wire';
import type { Backend, Ort, OrtSession } from './ort';
import { createSession } from './session';

export interface ProbeShape {
  /** Input features (hidden size) and output features of the layer timed. */
  readonly k: number;
  readonly n: number;
  /** Rows of the many-row run: enough that the GEMM, not the call, sets its time. */
  readonly rows: number;
  readonly reps: number;
}

/** Qwen1.5/Qwen2-0.5B's MLP projection, 896 → 4864 (4.4 MB of 8-bit weights). */
const DEFAULT_PROBE: ProbeShape = { k: 896, n: 4864, rows: 128, reps: 7 };

/** The layer, its weights held as constants so that the kernel packs them once, as a model file's are. */
function linearModel(k: number, n: number): Uint8Array {
  const weights = new Uint8Array(k * n).map((_, i) => (i * 2654435761) >>> 24);
  return wireModel(
    'cpu-speed-probe',
    [
      { opType: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['xq', 'xs', 'xz'] },
      { opType: 'MatMulInteger', inputs: ['xq', 'w', 'xz', 'wz'], outputs: ['y'] },
    ],
    [{ name: 'x', type: 'float32', dims: ['rows', k] }],
    [{ name: 'y', type: 'int32', dims: ['rows', n] }],
    [
      { name: 'w', type: 'uint8', dims: [k, n], data: weights },
      { name: 'wz', type: 'uint8', dims: [], data: Uint8Array.of(128) },
    ],
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median seconds of one run of `rows` rows, after one untimed run that sets the kernels up. */
async function timeRows(ort: Ort, session: OrtSession, shape: ProbeShape, rows: number) {
  const x = new ort.Tensor(
    'float32',
    new Float32Array(rows * shape.k).map((_, i) => ((i % 17) - 8) / 8),
    [rows, shape.k],
  );
  const feeds = { x };
  const seconds: number[] = [];
  for (let rep = 0; rep <= shape.reps; rep++) {
    const start = performance.now();
    const out = await session.run(feeds, ['y']);
    if (rep > 0) seconds.push((performance.now() - start) / 1000);
    for (const tensor of Object.values(out)) tensor.dispose();
  }
  x.dispose();
  return median(seconds);
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
  const session = await createSession(ort, backend, {
    file: 'cpu-speed-probe (built in)',
    bytes: linearModel(shape.k, shape.n),
    externalData: [],
  });
  try {
    const oneRow = await timeRows(ort, session, shape, 1);
    const manyRows = await timeRows(ort, session, shape, shape.rows);
    const speed: CpuSpeed = {
      rowBytesPerSecond: (shape.k * shape.n) / oneRow,
      macsPerSecond: (shape.rows * shape.k * shape.n) / manyRows,
      freshBytesPerSecond: freshWriteRate(32 * 2 ** 20, 3),
      copyBytesPerSecond: warmCopyRate(32 * 2 ** 20, 3),
    };
    if (!Object.values(speed).every((value) => Number.isFinite(value) && value > 0))
      throw new Error(`The speed probe measured nothing usable: ${JSON.stringify(speed)}.`);
    return speed;
  } finally {
    await session.release();
  }
}
