/**
 * The memory-bandwidth ceiling of decoding: a step reads every weight of the decoder once and the KV cache
 * up to that point, so no runtime decodes faster than read bandwidth / those bytes. Decode speeds are
 * reported as a fraction of it. The per-position cache size and mean cache length come from
 * src/engine/runtime/decode-cost.ts, which the app's estimate before a download also uses.
 */

export interface DecodeCeiling {
  /** Measured read bandwidth, bytes per second, of `memory`. */
  readonly readBytesPerSecond: number;
  /** What read at that rate: one CPU core (cpu, wasm: machine.ts), or the GPU (webgpu: gpu-bandwidth.ts). */
  readonly memory: string;
  /** The decoder file's bytes: its weights, all read once per step. */
  readonly weightBytes: number;
  /** The KV cache's bytes per position (keys and values of every layer, float32). */
  readonly kvBytesPerPosition: number;
  /** Mean positions in the cache over the decode steps measured. */
  readonly positions: number;
  readonly tokensPerSecond: number;
}

export function decodeCeiling(
  { readBytesPerSecond, memory }: { readonly readBytesPerSecond: number; readonly memory: string },
  weightBytes: number,
  kvBytes: number,
  positions: number,
): DecodeCeiling {
  return {
    readBytesPerSecond,
    memory,
    weightBytes,
    kvBytesPerPosition: kvBytes,
    positions,
    tokensPerSecond: readBytesPerSecond / (weightBytes + kvBytes * positions),
  };
}
