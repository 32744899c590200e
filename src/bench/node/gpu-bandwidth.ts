/**
 * The GPU's memory read bandwidth, measured through Dawn: a WebGPU decode step's ceiling is the bytes it
 * must read over this, as a CPU backend's is over one core's (machine.ts). A compute pass reads a buffer
 * far larger than the GPU's cache, each invocation striding over it so that the reads coalesce; the result
 * is written only in a case that never happens, which the compiler cannot know, so no read is dropped.
 */
import { adapterName, dawnAdapter } from '../../cli/dawn-webgpu';

const WORKGROUP = 256;
const WORKGROUPS = 4096;

const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> source: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<u32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var acc = vec4<u32>(0u);
  for (var i = id.x; i < arrayLength(&source); i += ${WORKGROUP * WORKGROUPS}u) {
    acc ^= source[i];
  }
  if (all(acc == vec4<u32>(0xfeedfaceu))) {
    sink[0] = id.x;
  }
}`;

export interface GpuBandwidth {
  readonly readBytesPerSecond: number;
  readonly adapter: string;
}

/**
 * Bytes per second, the best of a few timed submissions of enough passes to take about `seconds` (so a
 * submission's own overhead is lost in it); the reason instead where Dawn finds no adapter.
 */
export async function measureGpuReadBandwidth(seconds = 0.25, tries = 3): Promise<GpuBandwidth | string> {
  const dawn = await dawnAdapter();
  if (typeof dawn === 'string') return dawn;
  // An adapter of its own: an adapter gives one device, and the shared one may have given its.
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return 'Dawn found no WebGPU adapter';
  const limit = Math.min(2 ** 30, adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize);
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: limit, maxBufferSize: limit },
  });
  try {
    // The largest buffer up to 1 GiB the device will allocate, at least 128 MiB: well past an H200's 50 MB L2.
    let source: GPUBuffer | undefined;
    for (
      let size = Math.floor(limit / 16) * 16;
      size >= 2 ** 27 && !source;
      size = Math.floor(size / 32) * 16
    ) {
      device.pushErrorScope('out-of-memory');
      const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      if ((await device.popErrorScope()) === null) source = buffer;
      else buffer.destroy();
    }
    if (!source) return 'the GPU would not allocate a 128 MiB buffer';
    const bytes = source.size;
    device.pushErrorScope('validation');
    // Not zeros: a GPU may compress constant memory.
    const chunk = new Uint32Array(2 ** 22).map((_, i) => Math.imul(i, 2654435761));
    for (let offset = 0; offset < bytes; offset += chunk.byteLength)
      device.queue.writeBuffer(source, offset, chunk, 0, Math.min(chunk.length, (bytes - offset) / 4));
    const sink = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: source } },
        { binding: 1, resource: { buffer: sink } },
      ],
    });
    const timed = async (passes: number): Promise<number> => {
      const encoder = device.createCommandEncoder();
      for (let i = 0; i < passes; i++) {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(WORKGROUPS);
        pass.end();
      }
      const start = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / 1000;
    };
    // The first pass also waits for the writes and compiles the pipeline.
    await timed(1);
    const passes = Math.max(1, Math.ceil(seconds / (await timed(1))));
    let best = 0;
    for (let i = 0; i < tries; i++) best = Math.max(best, (passes * bytes) / (await timed(passes)));
    const error = await device.popErrorScope();
    if (error) return `the bandwidth pass failed: ${error.message}`;
    return { readBytesPerSecond: best, adapter: adapterName(adapter) };
  } finally {
    device.destroy();
  }
}
