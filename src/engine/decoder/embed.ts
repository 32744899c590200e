/** Token ids → embeddings through the package's embed_tokens session. */
import type { EmbedSpec } from '../model/validate';
import type { Ort } from '../runtime/ort';
import { int64Tensor, readFloats } from '../runtime/tensors';

export interface Embeddings {
  /** Row-major [length × hidden]. */
  readonly data: Float32Array;
  readonly length: number;
  readonly hidden: number;
}

export async function embedTokens(ort: Ort, spec: EmbedSpec, ids: readonly number[]): Promise<Embeddings> {
  const input = int64Tensor(ort, ids, [1, ids.length]);
  let outputs: Awaited<ReturnType<typeof spec.session.run>>;
  try {
    outputs = await spec.session.run({ input_ids: input });
  } finally {
    input.dispose();
  }
  try {
    const embeds = outputs.inputs_embeds;
    if (!embeds) throw new Error(`${spec.file} returned no inputs_embeds.`);
    const hidden = embeds.dims[embeds.dims.length - 1] ?? 0;
    return { data: Float32Array.from(await readFloats(embeds)), length: ids.length, hidden };
  } finally {
    for (const tensor of Object.values(outputs)) tensor.dispose();
  }
}
