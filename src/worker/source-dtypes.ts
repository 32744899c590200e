import { deviceClass } from '../engine/model/registry';
import type { Dtype, ModelPart } from '../engine/types';
import { type BackendChoice, chooseDtypes } from './backend';
import { isFolderSource, type ModelSource } from './protocol';

/**
 * The file variant per part: the source's own choice for this device (a Hub model's registry entry or
 * download plan), else the best among the files the source lists; a source that lists no files and pins
 * no dtype leaves the choice to the engine.
 */
export function sourceDtypes(source: ModelSource, choice: BackendChoice): Partial<Record<ModelPart, Dtype>> {
  if (isFolderSource(source))
    return chooseDtypes(
      source.folder.map((file) => file.path),
      choice,
    );
  const pinned = source.dtype?.[deviceClass(choice.backend, choice.shaderF16)];
  return pinned ?? chooseDtypes(source.files?.map((file) => file.path) ?? [], choice);
}
