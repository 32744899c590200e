/**
 * The decoder over a static KV cache, on onnxruntime-web's WebGPU provider with graph capture: the
 * package's decoder_model_static graph (llama-graph.ts, `staticCache`) runs with every input and output
 * bound to a GPU buffer that lives as long as the decoder. Past and present KV are the same buffer, so
 * GroupQueryAttention appends in place; the step's lengths are two int32 buffers written before each
 * run. Prefills (any number of positions) run uncaptured into the same buffers; a step (a token and up to
 * stepRows − 1 draft tokens, always stepRows positions) replays the captured graph and reads back
 * `next_token`, 4 bytes a position, or, for a sampler, a row of logits a position (the graph computes them
 * in a node of their own, captured-logits-graph.ts, which a replay refreshes).
 *
 * A step takes token ids. embed_tokens runs on them with its input and output bound to the decoder's own
 * buffers (its output float32, as the step's input), the ids written in place and the embeddings written
 * straight into the step's input: no buffer is made, uploaded or copied per token.
 *
 * Uncaptured runs go to a second session of the same graph, created without capture: onnxruntime-web
 * 1.30 binds a graph-capture session's tensors at its first run and never again, so every later run, the
 * `gpu_graph_id: -1` run option notwithstanding, reads and writes the first run's tensors
 * (tools/testing/capture-binding.ts): a prefill of another length could not run on the captured session.
 * Both sessions bind the same KV buffers; the weights are loaded twice.
 *
 * Buffers come from a small Expand session on the same runtime, not from device.createBuffer:
 * onnxruntime-web 1.30 unregisters caller-created buffers after the run that captured the graph and
 * then fails to map the replay's outputs back to them, while buffers it created stay registered.
 */

import type { EmbedSpec } from '../model/validate';
import { wireModel } from '../runtime/onnx-wire';
import type { Ort, OrtSession, OrtTensor } from '../runtime/ort';

/** The slice of a WebGPU device this module uses (the engine does not depend on the DOM's WebGPU types). */
export interface GpuDevice {
  readonly queue: {
    writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView): void;
    submit(commands: unknown[]): void;
  };
  createBuffer(descriptor: { size: number; usage: number }): GpuReadBuffer;
  createCommandEncoder(): {
    copyBufferToBuffer(
      source: unknown,
      sourceOffset: number,
      target: unknown,
      targetOffset: number,
      size: number,
    ): void;
    finish(): unknown;
  };
}

interface GpuReadBuffer {
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

// WebGPU's GPUBufferUsage.MAP_READ | COPY_DST and GPUMapMode.READ.
const READBACK_USAGE = 0x0001 | 0x0008;
const MAP_READ = 0x0001;

export interface StaticDecoderShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly hidden: number;
  readonly vocab: number;
  /** Positions the cache holds. */
  readonly maxLength: number;
  /** The graph's inputs; position_ids only where GroupQueryAttention cannot rotate (head sizes not a multiple of 16). */
  readonly positionIds: boolean;
  /** The most positions one run may take on this adapter (attention-check.ts); unlimited when absent. */
  readonly maxRunPositions?: number;
  /**
   * Positions a captured step runs: a token and up to stepRows − 1 draft tokens, with the rows of the
   * graph's lm_head (static-rows-graph.ts). 1 when absent.
   */
  readonly stepRows?: number;
}

type BufferType = 'float32' | 'int32' | 'int64';

/** Expand(value, shape): a zero-filled tensor of any shape, left on the GPU. */
function expandModel(type: BufferType): Uint8Array {
  return wireModel(
    'buffer',
    [{ opType: 'Expand', inputs: ['value', 'shape'], outputs: ['buffer'] }],
    [
      { name: 'value', type, dims: [] },
      { name: 'shape', type: 'int64', dims: ['rank'] },
    ],
    [{ name: 'buffer', type, dims: ['size'] }],
  );
}

function zero(ort: Ort, type: BufferType): OrtTensor {
  if (type === 'int64') return new ort.Tensor('int64', new BigInt64Array(1), []);
  return type === 'int32'
    ? new ort.Tensor('int32', new Int32Array(1), [])
    : new ort.Tensor('float32', new Float32Array(1), []);
}

/** GPU buffers of onnxruntime's own making (see the module note), zero-filled. */
class BufferMaker {
  private readonly sessions = new Map<BufferType, Promise<OrtSession>>();

  private readonly ort: Ort;

  constructor(ort: Ort) {
    this.ort = ort;
  }

  async make(type: BufferType, dims: readonly number[]): Promise<OrtTensor> {
    let session = this.sessions.get(type);
    if (!session) {
      session = this.ort.InferenceSession.create(expandModel(type), {
        executionProviders: ['webgpu'],
        preferredOutputLocation: 'gpu-buffer',
        // Errors only: the symbolic output shape draws a warning on every buffer made.
        logSeverityLevel: 3,
      });
      this.sessions.set(type, session);
    }
    const shape = new this.ort.Tensor('int64', BigInt64Array.from(dims, BigInt), [dims.length]);
    const out = await (await session).run({ value: zero(this.ort, type), shape });
    const made = out.buffer;
    if (!made) throw new Error('the buffer session returned nothing');
    return new this.ort.Tensor({
      location: 'gpu-buffer',
      type,
      gpuBuffer: made.gpuBuffer,
      dims: [...dims],
    } as unknown as ConstructorParameters<Ort['Tensor']>[0]) as OrtTensor;
  }

  async release(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
  }
}

interface StepInputs {
  readonly embeds: OrtTensor;
  readonly positions: OrtTensor | undefined;
}

/** A run's outputs for a number of lm_head rows. */
interface StepOutputs {
  readonly logits: OrtTensor;
  readonly next: OrtTensor;
}

interface DecoderBuffers {
  readonly kv: readonly OrtTensor[];
  /** The captured step's inputs, stepRows positions. */
  readonly step: StepInputs;
  readonly seqlens: OrtTensor;
  readonly total: OrtTensor;
}

export class StaticDecoder {
  private position = 0;
  private readonly prefillBuffers = new Map<number, StepInputs>();
  private readonly outputBuffers = new Map<number, StepOutputs>();
  /** embed_tokens' input_ids, by positions. */
  private readonly idBuffers = new Map<number, OrtTensor>();
  /**
   * Mappable buffers of past reads, by size, free to take again: a step reads the same few sizes, and a
   * buffer created for each read is an allocation and a release a token.
   */
  private readonly staging = new Map<number, GpuReadBuffer[]>();

  private readonly device: GpuDevice;
  private readonly session: OrtSession;
  private readonly uncaptured: OrtSession;
  private readonly embed: EmbedSpec;
  private readonly shape: StaticDecoderShape;
  private readonly maker: BufferMaker;
  private readonly buffers: DecoderBuffers;

  private constructor(
    device: GpuDevice,
    sessions: { captured: OrtSession; uncaptured: OrtSession; embed: EmbedSpec },
    shape: StaticDecoderShape,
    maker: BufferMaker,
    buffers: DecoderBuffers,
  ) {
    this.device = device;
    this.session = sessions.captured;
    this.uncaptured = sessions.uncaptured;
    this.embed = sessions.embed;
    this.shape = shape;
    this.maker = maker;
    this.buffers = buffers;
  }

  /**
   * `captured` was created with enableGraphCapture on the WebGPU provider of `ort`, `uncaptured` without;
   * `embed` (not the decoder's to release) embeds a step's tokens on the same provider, in float32.
   */
  static async create(
    ort: Ort,
    device: GpuDevice,
    sessions: { captured: OrtSession; uncaptured: OrtSession; embed: EmbedSpec },
    shape: StaticDecoderShape,
  ): Promise<StaticDecoder> {
    const maker = new BufferMaker(ort);
    const kv: OrtTensor[] = [];
    for (let i = 0; i < shape.layers * 2; i++)
      kv.push(await maker.make('float32', [1, shape.kvHeads, shape.maxLength, shape.headDim]));
    const rows = shape.stepRows ?? 1;
    const step = {
      embeds: await maker.make('float32', [1, rows, shape.hidden]),
      positions: shape.positionIds ? await maker.make('int64', [1, rows]) : undefined,
    };
    return new StaticDecoder(device, sessions, shape, maker, {
      kv,
      step,
      seqlens: await maker.make('int32', [1]),
      total: await maker.make('int32', []),
    });
  }

  /** Draft tokens a greedy step can check beside its token. */
  get draftRows(): number {
    return (this.shape.stepRows ?? 1) - 1;
  }

  /** A captured step still fits in the context: a step asked to replay does. */
  get replayFits(): boolean {
    return this.position + (this.shape.stepRows ?? 1) <= this.shape.maxLength;
  }

  /** Positions in the cache. */
  get length(): number {
    return this.position;
  }

  /** Forgets positions from `length` on: the next run overwrites them. */
  rewind(length: number): void {
    if (length < 0 || length > this.position)
      throw new Error(`cannot rewind to ${length} of ${this.position}`);
    this.position = length;
  }

  /**
   * Runs `embeds` (row-major [positions × hidden]) uncaptured at the cache's end, in runs of at most
   * `maxRunPositions`; the last position's logits.
   */
  async prefill(embeds: Float32Array): Promise<Float32Array> {
    const { hidden, maxRunPositions } = this.shape;
    const count = embeds.length / hidden;
    if (!Number.isInteger(count) || count < 1) throw new Error('prefill needs whole rows of embeddings');
    const chunk = Math.min(count, maxRunPositions ?? count);
    let outputs: StepOutputs | undefined;
    let rows = 0;
    for (let from = 0; from < count; from += chunk) {
      const length = Math.min(chunk, count - from);
      const buffers = await this.prefillInputs(length);
      this.write(buffers.embeds, embeds.subarray(from * hidden, (from + length) * hidden));
      rows = this.rowsOf(length);
      outputs = await this.outputs(rows);
      await this.run(buffers, length, length, false, outputs);
    }
    if (!outputs) throw new Error('unreachable: a prefill without a run');
    return this.read(outputs.logits, Float32Array, this.shape.vocab, (rows - 1) * this.shape.vocab);
  }

  /**
   * A token and its draft tokens (at most draftRows), each position with the device's argmax. `replay`
   * false runs the graph uncaptured, on the ids alone.
   */
  async greedy(ids: readonly number[], replay = true): Promise<number[]> {
    const { outputs, rows } = await this.step(ids, replay);
    const tokens = await this.read(outputs.next, Int32Array, rows);
    return Array.from(tokens.subarray(0, ids.length));
  }

  /** A token and its draft tokens, as `greedy`, each with its row of logits for a sampler to choose from. */
  async logits(ids: readonly number[], replay = true): Promise<Float32Array[]> {
    const { vocab } = this.shape;
    const { outputs } = await this.step(ids, replay);
    // One read for the rows a step ran: each is the vocabulary's width, 0.6 MB at Qwen2's.
    const rows = await this.read(outputs.logits, Float32Array, ids.length * vocab);
    return ids.map((_, i) => rows.subarray(i * vocab, (i + 1) * vocab));
  }

  /**
   * Runs `token` at the cache's start uncaptured, then a step of it captured, and forgets both: the
   * shaders compile and the graph is captured at the model's load, not in its first turn, and a step this
   * adapter cannot run fails the load's check rather than a turn.
   */
  async warmUp(token: number): Promise<void> {
    this.rewind(0);
    try {
      await this.greedy([token], false);
      await this.greedy([token]);
    } finally {
      this.rewind(0);
    }
  }

  async release(): Promise<void> {
    for (const buffers of this.staging.values()) for (const buffer of buffers) buffer.destroy();
    this.staging.clear();
    await this.session.release();
    await this.uncaptured.release();
    await this.maker.release();
  }

  /**
   * Runs `ids` at the cache's end: the captured graph replayed over stepRows positions, those past the ids
   * left to be overwritten by the next run. Near the end of the context, where stepRows positions would
   * not fit, and where `replay` is false, an uncaptured run of the ids alone. The outputs hold `rows`
   * rows, the first of them this run's positions.
   */
  private async step(
    ids: readonly number[],
    replay: boolean,
  ): Promise<{ outputs: StepOutputs; rows: number }> {
    const rows = this.shape.stepRows ?? 1;
    const count = ids.length;
    if (count < 1 || count > rows) throw new Error(`a step takes 1 to ${rows} positions, not ${count}`);
    const captured = replay && this.replayFits;
    const width = captured ? rows : count;
    const inputs = captured ? this.buffers.step : await this.prefillInputs(count);
    await this.embedInto(ids, inputs.embeds, width);
    const rowsOut = this.rowsOf(width);
    const outputs = await this.outputs(rowsOut);
    await this.run(inputs, width, count, captured, outputs);
    return { outputs, rows: rowsOut };
  }

  /** The embeddings of `ids` into `target`'s `width` rows; rows past the ids repeat the last, for a run to overwrite. */
  private async embedInto(ids: readonly number[], target: OrtTensor, width: number): Promise<void> {
    let input = this.idBuffers.get(width);
    if (!input) {
      input = await this.maker.make('int64', [1, width]);
      this.idBuffers.set(width, input);
    }
    const last = ids.length - 1;
    this.write(
      input,
      BigInt64Array.from({ length: width }, (_, i) => BigInt(ids[Math.min(i, last)] ?? 0)),
    );
    const results = await this.embed.session.run({ input_ids: input }, { inputs_embeds: target });
    for (const tensor of Object.values(results)) if (tensor !== target) tensor.dispose();
  }

  /** lm_head rows a run of `count` positions gives. */
  private rowsOf(count: number): number {
    return Math.min(count, this.shape.stepRows ?? 1);
  }

  private async outputs(rows: number): Promise<StepOutputs> {
    let outputs = this.outputBuffers.get(rows);
    if (!outputs) {
      outputs = {
        logits: await this.maker.make('float32', [1, rows, this.shape.vocab]),
        next: await this.maker.make('int32', [1, rows]),
      };
      this.outputBuffers.set(rows, outputs);
    }
    return outputs;
  }

  private async prefillInputs(count: number): Promise<StepInputs> {
    if (count === (this.shape.stepRows ?? 1)) return this.buffers.step;
    let buffers = this.prefillBuffers.get(count);
    if (!buffers) {
      // Prefill buffers are per length; a conversation has few distinct lengths, and each is small.
      buffers = {
        embeds: await this.maker.make('float32', [1, count, this.shape.hidden]),
        positions: this.shape.positionIds ? await this.maker.make('int64', [1, count]) : undefined,
      };
      this.prefillBuffers.set(count, buffers);
    }
    return buffers;
  }

  /**
   * Runs `width` positions from the cache's end, of which the first `kept` stay in it: the rest are
   * overwritten by the next run.
   */
  private async run(
    inputs: StepInputs,
    width: number,
    kept: number,
    captured: boolean,
    outputs: StepOutputs,
  ): Promise<void> {
    const start = this.position;
    const end = start + width;
    if (end > this.shape.maxLength)
      throw new Error(`the context holds ${this.shape.maxLength} positions, not ${end}`);
    if (inputs.positions)
      this.write(
        inputs.positions,
        BigInt64Array.from({ length: width }, (_, i) => BigInt(start + i)),
      );
    this.write(this.buffers.seqlens, new Int32Array([end - 1]));
    this.write(this.buffers.total, new Int32Array([end]));
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: inputs.embeds,
      seqlens_k: this.buffers.seqlens,
      total_sequence_length: this.buffers.total,
    };
    if (inputs.positions) feeds.position_ids = inputs.positions;
    const fetches: Record<string, OrtTensor> = { logits: outputs.logits, next_token: outputs.next };
    for (let i = 0; i < this.shape.layers; i++) {
      for (const [j, kind] of ['key', 'value'].entries()) {
        const buffer = this.buffers.kv[i * 2 + j];
        if (!buffer) throw new Error('unreachable: missing KV buffer');
        feeds[`past_key_values.${i}.${kind}`] = buffer;
        fetches[`present.${i}.${kind}`] = buffer;
      }
    }
    const results = await (captured ? this.session : this.uncaptured).run(feeds, fetches);
    // After the capture, onnxruntime-web hands back new tensor objects over the same buffers.
    for (const [name, tensor] of Object.entries(results)) if (tensor !== fetches[name]) tensor.dispose();
    this.position = start + kept;
  }

  private write(tensor: OrtTensor, data: Float32Array | Int32Array | BigInt64Array): void {
    this.device.queue.writeBuffer(tensor.gpuBuffer, 0, data);
  }

  /** `count` 4-byte values from `offset` (in values) on. */
  private async read<T extends Float32Array | Int32Array>(
    tensor: OrtTensor,
    kind: { new (buffer: ArrayBuffer): T },
    count: number,
    offset = 0,
  ): Promise<T> {
    const bytes = Math.ceil((count * 4) / 16) * 16;
    const free = this.staging.get(bytes) ?? [];
    this.staging.set(bytes, free);
    const staging = free.pop() ?? this.device.createBuffer({ size: bytes, usage: READBACK_USAGE });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(tensor.gpuBuffer, offset * 4, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_READ);
      const values = new kind(staging.getMappedRange().slice(0, count * 4));
      staging.unmap();
      free.push(staging);
      return values;
    } catch (err) {
      // A failed read (a lost device) leaves the buffer in no state to use again; destroy unmaps it.
      staging.destroy();
      throw err;
    }
  }
}
