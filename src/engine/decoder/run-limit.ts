/** The decoder's run limit on this backend: how many new positions one run may take (attention-check.ts). */
import type { DecoderSpec } from '../model/validate';
import { attentionRunLimit } from '../runtime/attention-check';
import type { Backend, Ort } from '../runtime/ort';

/** The decoder's spec with the most positions its attention kernel gets right in one run. */
export async function withRunLimit(
  ort: Ort,
  backend: Backend,
  spec: DecoderSpec,
  numHeads: number | undefined,
): Promise<DecoderSpec> {
  const { kvHeads, headDim, kvType } = spec;
  const heads = numHeads !== undefined && numHeads % kvHeads === 0 ? numHeads : kvHeads;
  const maxRunPositions = await attentionRunLimit(ort, backend, { heads, kvHeads, headDim, type: kvType });
  return maxRunPositions === undefined ? spec : { ...spec, maxRunPositions };
}
