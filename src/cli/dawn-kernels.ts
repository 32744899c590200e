/**
 * GPU kernels as the device sees them, for the benchmark: every compute dispatch that reaches WebGPU
 * between start() and stop(), every buffer mapped to be read back (onnxruntime's downloads and the
 * engine's own) and every buffer created, and where the device has 'timestamp-query', the GPU time of the compute passes that
 * held them. It wraps the WebGPU classes' prototypes (the `webgpu` package's globals in
 * Node, dawn-webgpu.ts), below onnxruntime.
 *
 * Why not onnxruntime's own profiling: onnxruntime-web 1.30's WebGPU bundle runs the C++ WebGPU
 * provider compiled to wasm, not the JavaScript one (JSEP) that `env.webgpu.profiling` drives, so that
 * setting is never read; the C++ provider's profiler writes its events to the session's profile file,
 * which the wasm build never opens. Below onnxruntime, a replayed (graph-captured) step is counted too:
 * the provider replays a capture by encoding its recorded dispatches again, one dispatchWorkgroups each.
 *
 * GPU time is the sum over compute passes of end minus beginning timestamp: each pass the provider
 * begins without timestamps of its own gets a pair. It is the time the GPU spent inside passes, gaps
 * between kernels of one pass included; copies and the gaps between passes are not in it.
 */

export interface KernelWindow {
  /** Compute dispatches (kernels) encoded in the window. */
  readonly dispatches: number;
  /** Compute passes begun in the window. */
  readonly passes: number;
  /** GPU milliseconds inside those passes; absent where timestampsMissing says why. */
  readonly gpuMs?: number;
  readonly timestampsMissing?: string;
  /** GPU buffers mapped for reading in the window (each a wait for the GPU), and their bytes. */
  readonly reads: number;
  readonly readBytes: number;
  /** GPU buffers created in the window: each an allocation, onnxruntime's and the engine's alike. */
  readonly buffersCreated: number;
}

/** The slice of a WebGPU device used here. */
interface TimingDevice {
  readonly features: { has(name: string): boolean };
  readonly queue: { submit(commands: unknown[]): void };
  createQuerySet(descriptor: { type: 'timestamp'; count: number }): unknown;
  createBuffer(descriptor: { size: number; usage: number }): {
    mapAsync(mode: number): Promise<void>;
    getMappedRange(): ArrayBuffer;
    destroy(): void;
  };
  createCommandEncoder(): {
    resolveQuerySet(set: unknown, first: number, count: number, target: unknown, offset: number): void;
    copyBufferToBuffer(from: unknown, fromOffset: number, to: unknown, toOffset: number, size: number): void;
    finish(): unknown;
  };
}

interface PassDescriptor {
  readonly timestampWrites?: unknown;
}

type Method = (this: unknown, ...args: never[]) => unknown;

// The most queries one query set may hold (WebGPU's limit), two per pass; a window that fills one takes
// another (a GPU machine's 256 steps of some 40 passes each take several). Each set resolves at a
// multiple of its size in bytes, which resolveQuerySet needs to be a multiple of 256.
const QUERY_CAPACITY = 4096;
const MAX_QUERY_SETS = 64;
// GPUBufferUsage: MAP_READ, COPY_SRC, COPY_DST, QUERY_RESOLVE; GPUMapMode.READ.
const MAP_READ_USAGE = 0x0001 | 0x0008;
const RESOLVE_USAGE = 0x0004 | 0x0200;
const MAP_READ = 0x0001;

interface Timing {
  readonly device: TimingDevice;
  /** The window's query sets, all full but the last. */
  readonly querySets: unknown[];
  /** Queries used in the last set. */
  used: number;
  /** Why this window's sum would be short, once a pass went untimed. */
  untimed: string | undefined;
}

export class KernelCounter {
  private active = false;
  private dispatches = 0;
  private passes = 0;
  private reads = 0;
  private readBytes = 0;
  private buffersCreated = 0;
  private timing: Timing | string = 'no window started yet';
  private readonly device: () => unknown;

  private constructor(device: () => unknown) {
    this.device = device;
  }

  /**
   * Wraps the global WebGPU classes (once per process: a second counter would count twice). `device`
   * gives the one onnxruntime runs on now (dawn-webgpu.ts's dawnDevice): onnxruntime-web makes a new
   * device once every session of the last one is released, and timestamps must come from the passes' own.
   */
  static install(device: () => unknown): KernelCounter {
    if (installed) throw new Error('a KernelCounter is already installed in this process');
    const counter = new KernelCounter(device);
    const pass = prototypeOf('GPUComputePassEncoder');
    for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
      const original = pass[name] as Method;
      pass[name] = function (this: unknown, ...args: never[]) {
        if (counter.active) counter.dispatches++;
        return original.apply(this, args);
      };
    }
    const buffer = prototypeOf('GPUBuffer');
    const map = buffer.mapAsync as Method;
    buffer.mapAsync = function (this: { size: number }, mode: number, offset = 0, size?: number) {
      if (counter.active && (mode & MAP_READ) !== 0) {
        counter.reads++;
        counter.readBytes += size ?? this.size - offset;
      }
      return map.call(this, mode as never, offset as never, size as never);
    };
    const gpuDevice = prototypeOf('GPUDevice');
    const create = gpuDevice.createBuffer as Method;
    gpuDevice.createBuffer = function (this: unknown, ...args: never[]) {
      if (counter.active) counter.buffersCreated++;
      return create.apply(this, args);
    };
    const encoder = prototypeOf('GPUCommandEncoder');
    const begin = encoder.beginComputePass as Method;
    encoder.beginComputePass = function (this: unknown, descriptor?: PassDescriptor) {
      return begin.call(this, counter.passBegun(descriptor) as never);
    };
    installed = true;
    return counter;
  }

  /** Dispatches counted so far in the window: a step's own count is the difference around it. */
  get dispatched(): number {
    return this.dispatches;
  }

  /** Starts a window; what an earlier window counted is dropped. */
  start(): void {
    this.dispatches = 0;
    this.passes = 0;
    this.reads = 0;
    this.readBytes = 0;
    this.buffersCreated = 0;
    const device = this.device() as TimingDevice | undefined;
    if (typeof this.timing === 'string' || this.timing.device !== device) this.timing = timingOn(device);
    else {
      this.timing.querySets.splice(1);
      this.timing.used = 0;
      this.timing.untimed = undefined;
    }
    this.active = true;
  }

  /** Ends the window; its GPU time is read once the GPU has run the window's work. */
  async stop(): Promise<KernelWindow> {
    this.active = false;
    const counts = {
      dispatches: this.dispatches,
      passes: this.passes,
      reads: this.reads,
      readBytes: this.readBytes,
      buffersCreated: this.buffersCreated,
    };
    const timing = this.timing;
    if (typeof timing === 'string') return { ...counts, timestampsMissing: timing };
    if (timing.untimed) return { ...counts, timestampsMissing: timing.untimed };
    if (timing.querySets.length === 1 && timing.used === 0) return { ...counts, gpuMs: 0 };
    return { ...counts, gpuMs: await passMilliseconds(timing) };
  }

  private passBegun(descriptor: PassDescriptor | undefined): PassDescriptor | undefined {
    if (!this.active) return descriptor;
    this.passes++;
    const timing = this.timing;
    if (typeof timing === 'string') return descriptor;
    // A pass without our pair of timestamps would leave the sum short: no time for the window.
    if (descriptor?.timestampWrites !== undefined) {
      timing.untimed = 'onnxruntime timed a pass itself';
      return descriptor;
    }
    if (timing.used + 2 > QUERY_CAPACITY) {
      if (timing.querySets.length >= MAX_QUERY_SETS) {
        timing.untimed = `more than ${(MAX_QUERY_SETS * QUERY_CAPACITY) / 2} compute passes in one window`;
        return descriptor;
      }
      timing.querySets.push(timing.device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY }));
      timing.used = 0;
    }
    const first = timing.used;
    timing.used += 2;
    return {
      ...descriptor,
      timestampWrites: {
        querySet: timing.querySets.at(-1),
        beginningOfPassWriteIndex: first,
        endOfPassWriteIndex: first + 1,
      },
    };
  }
}

let installed = false;

function prototypeOf(name: string): Record<string, unknown> {
  const type = (globalThis as Record<string, unknown>)[name] as
    | { prototype?: Record<string, unknown> }
    | undefined;
  if (!type?.prototype) throw new Error(`WebGPU has no ${name}`);
  return type.prototype;
}

function timingOn(device: TimingDevice | undefined): Timing | string {
  if (!device) return 'no WebGPU device yet';
  if (!device.features.has('timestamp-query'))
    return "the device has no 'timestamp-query' feature: kernels counted, not timed";
  return {
    device,
    querySets: [device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY })],
    used: 0,
    untimed: undefined,
  };
}

/** The window's pass timestamps, resolved after all its work (the queue runs in order). */
async function passMilliseconds(timing: Timing): Promise<number> {
  const { device, querySets, used } = timing;
  const counts = querySets.map((_, i) => (i === querySets.length - 1 ? used : QUERY_CAPACITY));
  const bytes = querySets.length * QUERY_CAPACITY * 8;
  const resolved = device.createBuffer({ size: bytes, usage: RESOLVE_USAGE });
  const readable = device.createBuffer({ size: bytes, usage: MAP_READ_USAGE });
  try {
    const encoder = device.createCommandEncoder();
    for (const [i, set] of querySets.entries())
      encoder.resolveQuerySet(set, 0, counts[i] ?? 0, resolved, i * QUERY_CAPACITY * 8);
    encoder.copyBufferToBuffer(resolved, 0, readable, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readable.mapAsync(MAP_READ);
    const stamps = new BigUint64Array(readable.getMappedRange());
    let nanoseconds = 0n;
    for (const [set, count] of counts.entries()) {
      for (let i = set * QUERY_CAPACITY; i + 1 < set * QUERY_CAPACITY + count; i += 2) {
        const begin = stamps[i] ?? 0n;
        const end = stamps[i + 1] ?? 0n;
        if (end > begin) nanoseconds += end - begin;
      }
    }
    return Number(nanoseconds) / 1e6;
  } finally {
    resolved.destroy();
    readable.destroy();
  }
}
