/**
 * The decoder's past keys and values, one tensor per layer and kind. Under WebGPU they are the previous
 * run's `present.*` outputs left in GPU memory; every tensor replaced or dropped is disposed here.
 */

import type { DecoderSpec } from '../model/validate';
import type { Ort, OrtTensor } from '../runtime/ort';
import { createFloatTensor, readFloats } from '../runtime/tensors';
import type { KvSlicer } from './kv-slicer';

export function presentNames(numLayers: number): string[] {
  const names: string[] = [];
  for (let layer = 0; layer < numLayers; layer++)
    names.push(`present.${layer}.key`, `present.${layer}.value`);
  return names;
}

export type KvShape = Pick<DecoderSpec, 'numLayers' | 'kvHeads' | 'headDim' | 'kvType'>;

export class KvCache {
  /** Positions the cache holds. */
  length = 0;
  private tensors = new Map<string, OrtTensor>();

  private readonly ort: Ort;
  private readonly spec: KvShape;
  /** Cuts tensors that live outside CPU memory; not needed when the cache stays on the CPU. */
  private readonly slicer?: KvSlicer;

  constructor(ort: Ort, spec: KvShape, slicer?: KvSlicer) {
    this.ort = ort;
    this.spec = spec;
    this.slicer = slicer;
  }

  /** The past_key_values feeds for the next run; zero-length tensors when the cache is empty. */
  feeds(): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {};
    const { numLayers, kvHeads, headDim, kvType } = this.spec;
    for (let layer = 0; layer < numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] =
          this.tensors.get(`${layer}.${kind}`) ??
          createFloatTensor(this.ort, kvType, new Float32Array(0), [1, kvHeads, 0, headDim]);
      }
    }
    return feeds;
  }

  /** Takes the run's present.* outputs as the new cache and disposes the tensors they replace. */
  replace(outputs: Record<string, OrtTensor>, length: number): void {
    const next = new Map<string, OrtTensor>();
    for (let layer = 0; layer < this.spec.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        const present = outputs[`present.${layer}.${kind}`];
        if (present) next.set(`${layer}.${kind}`, present);
      }
    }
    this.clear();
    this.tensors = next;
    this.length = length;
  }

  /** Keeps only the first `length` positions: on the GPU for GPU tensors, in JS for CPU ones. */
  async truncate(length: number): Promise<void> {
    if (length >= this.length) return;
    if (length === 0) {
      this.clear();
      return;
    }
    const keys = [...this.tensors.keys()];
    const tensors = [...this.tensors.values()];
    let kept: OrtTensor[];
    if (tensors.every((tensor) => tensor.location === 'cpu')) {
      kept = await Promise.all(tensors.map((tensor) => this.cutInJs(tensor, length)));
    } else {
      if (!this.slicer) throw new Error('A KV cache outside CPU memory cannot be cut without a slicer.');
      kept = await this.slicer.slice(tensors, length);
    }
    this.clear();
    this.tensors = new Map(keys.map((key, i) => [key, kept[i] as OrtTensor]));
    this.length = length;
  }

  private async cutInJs(tensor: OrtTensor, length: number): Promise<OrtTensor> {
    const { kvHeads, headDim, kvType } = this.spec;
    const data = await readFloats(tensor);
    const past = this.length;
    const kept = new Float32Array(kvHeads * length * headDim);
    for (let head = 0; head < kvHeads; head++) {
      kept.set(
        data.subarray(head * past * headDim, (head * past + length) * headDim),
        head * length * headDim,
      );
    }
    return createFloatTensor(this.ort, kvType, kept, [1, kvHeads, length, headDim]);
  }

  clear(): void {
    for (const tensor of this.tensors.values()) tensor.dispose();
    this.tensors.clear();
    this.length = 0;
  }
}
