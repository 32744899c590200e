/** The package's TextCodec, in the form the prompt builder and the token loop use. */

import type { TextCodec } from '../text/codec';
import { StreamingDetokenizer } from '../text/streaming-detokenizer';
import type { EngineCodec } from './model-runtime';

export function createEngineCodec(codec: TextCodec, imageTokenId: number | undefined): EngineCodec {
  const imageToken = imageTokenId === undefined ? undefined : codec.idToToken(imageTokenId);
  const bosToken = codec.bosTokenId === undefined ? undefined : codec.idToToken(codec.bosTokenId);
  return {
    eosTokenIds: codec.eosTokenIds,
    bosTokenId: codec.bosTokenId,
    hasChatTemplate: codec.hasChatTemplate,
    applyChatTemplate: (messages, { addGenerationPrompt }) =>
      codec.applyChatTemplate(
        messages,
        imageToken ? { addGenerationPrompt, imageToken } : { addGenerationPrompt },
      ),
    // As the Hugging Face processors do: the tokenizer's special tokens (BOS) are added to the rendered
    // prompt, unless the template already wrote them.
    encode: (text) => codec.encode(text, { addSpecialTokens: !(bosToken && text.startsWith(bosToken)) }),
    encodePlain: (text) => codec.encode(text, { addSpecialTokens: false }),
    createDetokenizer: () => new StreamingDetokenizer(codec, { skipSpecialTokens: true }),
  };
}
