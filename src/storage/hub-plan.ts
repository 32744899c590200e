/**
 * The download plan of a repository the registry does not list: per part, the engine's dtype order for the
 * device, asked of the server with HEAD requests (no body is fetched) until a file answers. The picker
 * shows the total and loads with the plan's dtypes, as for a registry model.
 */
import { GlimpseError } from '../engine/errors';
import { dtypePreference, partFile } from '../engine/model/files';
import {
  type DeviceClass,
  type DownloadPlan,
  HUB_PARTS,
  type HubPart,
  type PlannedFile,
} from '../engine/model/registry';
import type { Dtype } from '../engine/types';
import { headFileSize } from './hub-source';
import { fileUrl } from './source-url';

/** The text files a load reads besides the ONNX ones. */
const CONFIG_FILES = [
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

export async function probeDownloadPlan(
  baseUrl: string,
  device: DeviceClass,
  signal?: AbortSignal,
): Promise<DownloadPlan> {
  const base = new URL(baseUrl);
  const size = (path: string) => headFileSize(fileUrl(base, path), signal);
  const backend = device === 'wasm' ? 'wasm' : 'webgpu';
  const choose = async (part: HubPart): Promise<{ dtype: Dtype; file: PlannedFile }> => {
    for (const dtype of dtypePreference(part, backend, device === 'webgpu-f16')) {
      const path = partFile(part, dtype);
      const bytes = await size(path);
      if (bytes !== null) return { dtype, file: { path, bytes } };
    }
    throw new GlimpseError(
      'package-file-missing',
      `${base.href} has no ${partFile(part, 'fp32')} in any dtype.`,
      {
        details: { file: partFile(part, 'fp32') },
      },
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
