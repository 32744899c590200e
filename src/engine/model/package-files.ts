/** The configuration and tokenizer files of a package, read before any ONNX file. */
import type { PackageReader } from '../types';
import { type JsonObject, readJson, readText, requireJson } from './json';

export interface PackageFiles {
  readonly config: JsonObject;
  readonly generationConfig: JsonObject | null;
  readonly preprocessorConfig: JsonObject | null;
  readonly processorConfig: JsonObject | null;
  readonly tokenizerJson: JsonObject;
  readonly tokenizerConfig: JsonObject | null;
  readonly specialTokensMap: JsonObject | null;
  /** chat_template.jinja, else chat_template.json, when the package has one. */
  readonly chatTemplate: string | null;
}

/**
 * Promise.all, except that a failure is the first in the list's order rather than the first to settle:
 * a folder that is not a package always says it lacks config.json, whichever read the disk answers first.
 */
async function firstFailureInOrder<T extends readonly unknown[]>(
  reads: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(reads);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export async function readPackageFiles(reader: PackageReader, signal?: AbortSignal): Promise<PackageFiles> {
  const [
    config,
    generationConfig,
    preprocessorConfig,
    processorConfig,
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
  ] = await firstFailureInOrder([
    requireJson(reader, 'config.json', signal),
    readJson(reader, 'generation_config.json', signal),
    readJson(reader, 'preprocessor_config.json', signal),
    readJson(reader, 'processor_config.json', signal),
    requireJson(reader, 'tokenizer.json', signal),
    readJson(reader, 'tokenizer_config.json', signal),
    readJson(reader, 'special_tokens_map.json', signal),
  ]);
  const chatTemplate =
    (await readText(reader, 'chat_template.jinja', signal)) ??
    (await readText(reader, 'chat_template.json', signal));
  return {
    config,
    generationConfig,
    preprocessorConfig,
    processorConfig,
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    chatTemplate,
  };
}
