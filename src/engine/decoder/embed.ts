/** Token ids → embeddings through the package's embed_tokens session. */
import type { EmbedSpec } from '../model/validate';
import type { Ort, OrtTensor } from '../runtime/ort';
import { int64Tensor, readFloats } from '../runtime/tensors';

export interface Embeddings {
  /** Row-major [length × hidden]. */
  readonly data: Float32Array;
  readonly length: number;
  readonly hidden: number;
}

export async function embedTokens(ort: Ort, spec: EmbedSpec, ids: readonly number[]): Promise<Embeddings> {
  return readEmbeddings(await embedTensor(ort, spec, ids));
}

/** An inputs_embeds tensor's rows in CPU memory, as float32; the tensor is disposed. */
export async function readEmbeddings(embeds: OrtTensor): Promise<Embeddings> {
  try {
    const hidden = embeds.dims.at(-1) ?? 0;
    const data = Float32Array.from(await readFloats(embeds));
    return { data, length: hidden > 0 ? data.length / hidden : 0, hidden };
  } finally {
    embeds.dispose();
  }
}

/** The session's inputs_embeds tensor, where the session left it (GPU memory on WebGPU); the caller disposes it. */
export async function embedTensor(ort: Ort, spec: EmbedSpec, ids: readonly number[]): Promise<OrtTensor> {
  const input = int64Tensor(ort, ids, [1, ids.length]);
  let outputs: Record<string, OrtTensor>;
  try {
    outputs = await spec.session.run({ input_ids: input });
  } finally {
    input.dispose();
  }
  const { inputs_embeds: embeds, ...rest } = outputs;
  for (const tensor of Object.values(rest)) tensor.dispose();
  if (!embeds) throw new Error(`${spec.file} returned no inputs_embeds.`);
  return embeds;
}
