/** Sampling defaults from generation_config.json: greedy unless the package asks to sample. */
import type { GenerationDefaults } from '../types';
import { type JsonObject, numberField } from './json';

/** The LLaVA demo's answer budget, used when the package gives none. */
const DEFAULT_MAX_NEW_TOKENS = 512;

export function generationDefaults(
  generationConfig: JsonObject | null,
  draftTokens: number,
): GenerationDefaults {
  const config = generationConfig ?? undefined;
  const sample = config?.do_sample === true;
  return {
    temperature: sample ? (numberField(config, 'temperature') ?? 1) : 0,
    topP: numberField(config, 'top_p') ?? 1,
    topK: numberField(config, 'top_k') ?? 0,
    repetitionPenalty: numberField(config, 'repetition_penalty') ?? 1,
    maxNewTokens: numberField(config, 'max_new_tokens') ?? DEFAULT_MAX_NEW_TOKENS,
    draftTokens,
  };
}
