/**
 * The download plan of a model the registry does not list, for the device: from the repository's own
 * listing when the location is a Hub repository (or a mirror with its API), else, for a plain folder of
 * package files, by asking the server with HEAD requests (no body is fetched) in the engine's dtype order.
 * The picker shows the total; the load then chooses the same files by the same rule.
 */
import { GlimpseError } from '../engine/errors';
import { type DeviceClass, dtypePreference, partFile, staticDecoderFiles } from '../engine/model/files';
import type { ManifestFile } from './cache-records';
import { type DownloadPlan, HUB_PARTS, planFromFiles } from './hub-registry';
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
  // Only the files the rule would take are asked for: per part, the first dtype the device runs, best first.
  const found = async (paths: readonly string[]): Promise<[string, number] | undefined> => {
    for (const path of paths) {
      const bytes = await size(path);
      if (bytes !== null) return [path, bytes];
    }
    return undefined;
  };
  const parts = await Promise.all(
    HUB_PARTS.map(async (part) => {
      const file = await found(dtypePreference(part, device).map((dtype) => partFile(part, dtype)));
      if (file) return file;
      throw new GlimpseError(
        'package-file-missing',
        `${base.href} has no ${partFile(part, 'fp32')} in any dtype this device runs.`,
        { details: { file: partFile(part, 'fp32') } },
      );
    }),
  );
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
  const sizes = new Map<string, number | null>(parts);
  const decoder = parts[HUB_PARTS.indexOf('decoder_model_merged')]?.[0];
  const staticDecoder = decoder && (await found(staticDecoderFiles(decoder, device)));
  if (staticDecoder) sizes.set(...staticDecoder);
  return planFromFiles(
    sizes,
    configSizes.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0),
    device,
  );
}
