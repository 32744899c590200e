/** What unit tests of the layers above the engine stand in for a loaded model with. */
import type { GenerateEvent, ModelInfo } from '../engine/types';

export function testModelInfo(hasVision = true): ModelInfo {
  return {
    location: 'memory',
    modelType: hasVision ? 'llava' : 'llama',
    backend: 'wasm',
    files: {},
    hasVision,
    imageTokenCount: hasVision ? 4 : undefined,
    contextLength: 64,
    defaults: { temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1, maxNewTokens: 16, draftTokens: 0 },
  };
}

/** A turn's last event, for an answer of one token. */
export function doneEvent(text: string): GenerateEvent {
  return {
    type: 'done',
    text,
    tokenIds: [1],
    reason: 'eos',
    stats: {
      promptTokens: 1,
      prefillTokens: 1,
      generatedTokens: 1,
      visionMs: 0,
      prefillMs: 0,
      timeToFirstTokenMs: 0,
      decodeTokensPerSecond: 0,
      totalMs: 0,
    },
  };
}

/** An answer as the engine streams it: one delta, then done. */
export async function* answerEvents(text: string): AsyncGenerator<GenerateEvent> {
  yield { type: 'delta', text, tokenIds: [1] };
  yield doneEvent(text);
}
