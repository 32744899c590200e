/** The package's TextCodec, in the form the prompt builder and the token loop use. */

import type { TextCodec } from '../text/codec';
import { StreamingDetokenizer } from '../text/streaming-detokenizer';
import type { EngineCodec } from './model-runtime';

export function createEngineCodec(codec: TextCodec, imageTokenId: number | undefined): EngineCodec {
  const imageToken = imageTokenId === undefined ? undefined : codec.idToToken(imageTokenId);
  return {
    eosTokenIds: codec.eosTokenIds,
    bosTokenId: codec.bosTokenId,
    hasChatTemplate: codec.hasChatTemplate,
    encodeChat: (messages, { addGenerationPrompt }) =>
      codec.encodeChat(messages, imageToken ? { addGenerationPrompt, imageToken } : { addGenerationPrompt }),
    encodePlain: (text) => codec.encode(text, { addSpecialTokens: false }),
    createDetokenizer: () => new StreamingDetokenizer(codec, { skipSpecialTokens: true }),
  };
}
