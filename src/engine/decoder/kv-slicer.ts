/** Cutting GPU-resident KV tensors on the GPU, with a Slice session on the decoder's backend. */
import type { Backend, Ort, OrtSession, OrtTensor } from '../runtime/ort';
import { createSession } from '../runtime/session';
import { sliceModel } from '../runtime/slice-model';
import type { FloatType } from '../runtime/tensors';

export interface KvSlicer {
  /** New tensors holding the first `length` positions (axis 2) of each of `tensors`, in the same memory. */
  slice(tensors: readonly OrtTensor[], length: number): Promise<OrtTensor[]>;
  readonly session: OrtSession;
}

/** A slicer for `count` tensors at once: the decoder's past keys and values. */
export async function createKvSlicer(
  ort: Ort,
  backend: Backend,
  type: FloatType,
  count: number,
): Promise<KvSlicer> {
  const outputs = Array.from({ length: count }, (_, i) => `y${i}`);
  const session = await createSession(
    ort,
    backend,
    { file: 'kv-slice (built in)', bytes: sliceModel(type, count), externalData: [] },
    { gpuOutputs: outputs },
  );
  const scalar = (value: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1]);
  return {
    session,
    async slice(tensors, length) {
      if (tensors.length !== count)
        throw new Error(`The KV slicer takes ${count} tensors, not ${tensors.length}.`);
      const feeds: Record<string, OrtTensor> = { starts: scalar(0), ends: scalar(length), axes: scalar(2) };
      tensors.forEach((tensor, i) => {
        feeds[`x${i}`] = tensor;
      });
      const result = await session.run(feeds);
      return outputs.map((name) => {
        const y = result[name];
        if (!y) throw new Error('The KV slice returned nothing.');
        return y;
      });
    },
  };
}
