/** Cutting GPU-resident KV tensors on the GPU, with a one-node Slice session on the decoder's backend. */
import type { Backend, Ort, OrtSession, OrtTensor } from '../runtime/ort';
import { createSession } from '../runtime/session';
import { sliceModel } from '../runtime/slice-model';
import type { FloatType } from '../runtime/tensors';

export interface KvSlicer {
  /** A new tensor holding the first `length` positions (axis 2) of `tensor`, in the same memory. */
  slice(tensor: OrtTensor, length: number): Promise<OrtTensor>;
  readonly session: OrtSession;
}

export async function createKvSlicer(ort: Ort, backend: Backend, type: FloatType): Promise<KvSlicer> {
  const session = await createSession(
    ort,
    backend,
    { file: 'kv-slice (built in)', bytes: sliceModel(type), externalData: [] },
    ['y'],
  );
  const scalar = (value: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1]);
  return {
    session,
    async slice(tensor, length) {
      const { y } = await session.run({
        x: tensor,
        starts: scalar(0),
        ends: scalar(length),
        axes: scalar(2),
      });
      if (!y) throw new Error('The KV slice returned nothing.');
      return y;
    },
  };
}
