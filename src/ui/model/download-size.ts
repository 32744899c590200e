import type { DeviceClass } from '../../engine/model/files';
import type { DownloadPlan } from '../../storage/hub-registry';

/** Sizes as the Hub states them (1 MB = 10^6 bytes), so the figures match the repository pages. */
export function decimalBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** A plan's total in a list: "≥" where some file's size is unknown. */
export function planSize(plan: DownloadPlan): string {
  return `${plan.complete ? '' : '≥ '}${decimalBytes(plan.totalBytes)}`;
}

/** A plan's total in a sentence. */
export function planSizeInWords(plan: DownloadPlan): string {
  return `${plan.complete ? '' : 'at least '}${decimalBytes(plan.totalBytes)}`;
}

export const deviceLabels: Record<DeviceClass, string> = {
  'webgpu-f16': 'WebGPU with f16 shaders',
  webgpu: 'WebGPU',
  wasm: 'WebAssembly (CPU)',
};
