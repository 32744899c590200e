import { chooseDtypes, deviceClass } from '../engine/model/files';
import type { Dtype, ModelPart } from '../engine/types';
import type { BackendChoice } from './backend';
import { isFolderSource, type ModelSource } from './protocol';

/**
 * The file variant per part, by the engine's one rule, among the files the source lists (a folder's files,
 * /models/index.json, a Hub repository's listing); a source that lists none leaves the choice to the engine.
 */
export function sourceDtypes(source: ModelSource, choice: BackendChoice): Partial<Record<ModelPart, Dtype>> {
  const paths = isFolderSource(source) ? source.folder : (source.files ?? []);
  return chooseDtypes(
    paths.map((file) => file.path),
    deviceClass(choice.backend, choice.shaderF16),
  );
}
