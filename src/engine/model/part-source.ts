/** Fetching the ONNX file (and its external data files) chosen for one part of a package. */
import { GlimpseError } from '../errors';
import type { ExternalDataFile, SessionSource } from '../runtime/session';
import type { Dtype, ModelPart, PackageReader } from '../types';
import { partFile } from './files';
import type { LoadProgressTracker } from './progress';

export interface PartSource extends SessionSource {
  readonly dtype: Dtype;
}

/** Reads one package file, its bytes counted in the load's overall progress; null when it is absent. */
export async function readTracked(
  reader: PackageReader,
  path: string,
  tracker: LoadProgressTracker,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | null> {
  const onProgress = tracker.track(path);
  const bytes = await reader.read(path, signal ? { signal, onProgress } : { onProgress });
  if (bytes === null) tracker.forget(path);
  else tracker.finish(path, bytes.byteLength);
  return bytes;
}

/** X.onnx_data, X.onnx_data_1, X.onnx_data_2, … until one is absent. */
async function readExternalData(
  reader: PackageReader,
  file: string,
  tracker: LoadProgressTracker,
  signal: AbortSignal | undefined,
): Promise<ExternalDataFile[]> {
  const found: ExternalDataFile[] = [];
  for (let index = 0; ; index++) {
    const path = index === 0 ? `${file}_data` : `${file}_data_${index}`;
    const data = await readTracked(reader, path, tracker, signal);
    if (data === null) return found;
    found.push({ path: path.slice(path.lastIndexOf('/') + 1), data });
  }
}

/**
 * Reads the first of `dtypes` that the package has. With `explicit`, only that dtype counts and its absence
 * is an error naming the file; otherwise null means the package has no variant of this part at all.
 * `variants` names the files that stand for a part's file, tried in turn (a decoder's static-cache graph
 * before it, on the CPU backends); by default the file alone.
 */
export async function readPartSource(
  reader: PackageReader,
  part: ModelPart,
  dtypes: readonly Dtype[],
  explicit: boolean,
  tracker: LoadProgressTracker,
  signal: AbortSignal | undefined,
  variants: (file: string) => readonly string[] = (file) => [file],
): Promise<PartSource | null> {
  for (const dtype of dtypes) {
    const wanted = partFile(part, dtype);
    for (const file of variants(wanted)) {
      const bytes = await readTracked(reader, file, tracker, signal);
      if (bytes !== null)
        return { file, dtype, bytes, externalData: await readExternalData(reader, file, tracker, signal) };
    }
    if (explicit) {
      throw new GlimpseError(
        'package-file-missing',
        `The model package ${reader.location} has no ${wanted} (dtype ${dtype}).`,
        {
          details: { file: wanted, dtype },
        },
      );
    }
  }
  return null;
}
