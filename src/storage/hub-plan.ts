/**
 * The download plan of a model the registry does not list, for the device: from the repository's own
 * listing when the location is a Hub repository (or a mirror with its API), else, for a plain folder of
 * package files, by asking the server with HEAD requests (no body is fetched) in the engine's dtype order.
 * The picker shows the total; the load then chooses the same files by the same rule.
 */
import { GlimpseError } from '../engine/errors';
import { type DeviceClass, dtypePreference, partFile, staticDecoderFiles } from '../engine/model/files';
import type { Dtype } from '../engine/types';
import type { ManifestFile } from './cache-records';
import { type DownloadPlan, HUB_PARTS, type HubPart, type PlannedFile, planFromFiles } from './hub-registry';
import { headFileSize } from './hub-source';
import { fileUrl } from './source-url';

/** The text files a load reads besides the ONNX ones. */
export const CONFIG_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.json',
  'chat_template.jinja',
];

/** The plan among the files a listing names: nothing outside it is planned, or ever requested. */
export function planFromListing(files: readonly ManifestFile[], device: DeviceClass): DownloadPlan {
  if (!files.some((file) => file.path === 'config.json')) {
    throw new GlimpseError(
      'package-invalid',
      'The repository has no config.json: it is not a model package.',
      {
        details: { file: 'config.json' },
      },
    );
  }
  const onnx = new Map(files.filter((f) => f.path.startsWith('onnx/')).map((f) => [f.path, f.size]));
  const configBytes = files
    .filter((file) => CONFIG_FILES.includes(file.path))
    .reduce((sum, file) => sum + file.size, 0);
  return planFromFiles(onnx, configBytes, device);
}

export async function probeDownloadPlan(
  baseUrl: string,
  device: DeviceClass,
  signal?: AbortSignal,
): Promise<DownloadPlan> {
  const base = new URL(baseUrl);
  const size = (path: string) => headFileSize(fileUrl(base, path), signal);
  const choose = async (part: HubPart): Promise<{ dtype: Dtype; file: PlannedFile }> => {
    for (const dtype of dtypePreference(part, device)) {
      const path = partFile(part, dtype);
      const bytes = await size(path);
      if (bytes !== null) return { dtype, file: { path, bytes } };
    }
    throw new GlimpseError(
      'package-file-missing',
      `${base.href} has no ${partFile(part, 'fp32')} in any dtype this device runs.`,
      { details: { file: partFile(part, 'fp32') } },
    );
  };
  const [vision, embed, decoder] = await Promise.all(HUB_PARTS.map(choose));
  const configSizes = await Promise.all(CONFIG_FILES.map(size));
  if (configSizes[0] === null) {
    throw new GlimpseError(
      'package-file-missing',
      `${base.href} has no config.json: it is not a model package.`,
      {
        details: { file: 'config.json' },
      },
    );
  }
  if (!vision || !embed || !decoder) throw new GlimpseError('internal', 'A part of the plan went missing.');
  const files = [vision.file, embed.file, decoder.file];
  // The engine also loads the static-cache decode variant, when the folder has one: on wasm in place of
  // the merged decoder (engine/model/load.ts), on WebGPU beside it.
  for (const path of staticDecoderFiles(decoder.file.path, device)) {
    const bytes = await size(path);
    if (bytes === null) continue;
    if (device === 'wasm') files.pop();
    files.push({ path, bytes });
    break;
  }
  return {
    device,
    dtype: { vision_encoder: vision.dtype, embed_tokens: embed.dtype, decoder_model_merged: decoder.dtype },
    files,
    totalBytes: [...files.map((file) => file.bytes), ...configSizes].reduce<number>(
      (sum, b) => sum + (b ?? 0),
      0,
    ),
    complete: true,
  };
}
