/** The decoder input for a run of prompt positions: token embeddings with image features merged in. */
import type { DecoderInput } from '../decoder/decoder';
import { embedTensor, embedTokens, readEmbeddings } from '../decoder/embed';
import { GlimpseError } from '../errors';
import type { FloatType } from '../runtime/tensors';
import type { ImageEmbeds } from '../vision/encoder';
import type { ModelRuntime } from './model-runtime';
import type { PromptLayout } from './prompt';

export async function prefillInput(
  model: ModelRuntime,
  layout: PromptLayout,
  from: number,
  images: readonly ImageEmbeds[],
): Promise<DecoderInput> {
  const slots = layout.slots.slice(from);
  if (model.decoder.inputKind === 'ids' || !model.embed) {
    if (slots.some((slot) => slot < 0))
      throw new GlimpseError('model-text-only', 'This model does not take images.');
    return { kind: 'ids', ids: slots };
  }
  const textIds = slots.filter((slot) => slot >= 0);
  const text = textIds.length > 0 ? await embedTokens(model.ort, model.embed, textIds) : undefined;
  const hidden = text?.hidden ?? images[0]?.hidden ?? 0;
  const data = new Float32Array(slots.length * hidden);
  let textRow = 0;
  slots.forEach((slot, i) => {
    if (slot >= 0) {
      if (text) data.set(text.data.subarray(textRow * hidden, (textRow + 1) * hidden), i * hidden);
      textRow++;
      return;
    }
    const image = images[-1 - slot];
    const row = layout.rows[from + i] ?? -1;
    if (!image || row < 0)
      throw new GlimpseError('internal', `No image features for prompt position ${from + i}.`);
    if (image.hidden !== hidden) {
      throw new GlimpseError(
        'package-invalid',
        `Image features have ${image.hidden} values per row but token embeddings have ${hidden}; the vision model does not fit the decoder.`,
        { details: { file: model.vision?.spec.encoderFile ?? 'vision_encoder' } },
      );
    }
    data.set(image.data.subarray(row * hidden, (row + 1) * hidden), i * hidden);
  });
  return { kind: 'embeds', data, length: slots.length, hidden };
}

/**
 * The decoder input for generated tokens (one, or one followed by draft tokens). With `onDevice`, the
 * float type of a decoder that takes GPU tensors, embeddings that embed_tokens left in GPU memory in that
 * type go to it as they are: a decode step then does not wait for them to cross to the CPU and back.
 */
export async function tokenInput(
  model: ModelRuntime,
  ids: readonly number[],
  onDevice?: FloatType,
): Promise<DecoderInput> {
  const { ort, embed, decoder } = model;
  if (decoder.inputKind === 'ids' || !embed) return { kind: 'ids', ids };
  const tensor = await embedTensor(ort, embed, ids);
  if (
    tensor.location === 'gpu-buffer' &&
    tensor.type === onDevice &&
    ids.length <= (decoder.maxRunPositions ?? ids.length)
  )
    return { kind: 'device', tensor, length: ids.length };
  return { kind: 'embeds', ...(await readEmbeddings(tensor)) };
}
