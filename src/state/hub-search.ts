import { GlimpseError } from '../engine/errors';
import type { DeviceClass } from '../engine/model/registry';
import { probeDownloadPlan } from '../storage/hub-plan';
import { isRepoId, parseHubLocation } from '../storage/hub-source';
import { enteredEntry } from './catalog';
import type { HubEntry } from './models-slice';

export { deviceClass } from '../engine/model/registry';

/**
 * The model a person typed (a repository id or a URL), with what it downloads on this device: asks the Hub
 * or mirror for its files, so the dialog can show the size before anything is stored.
 */
export async function findHubModel(text: string, device: DeviceClass, origin: string): Promise<HubEntry> {
  // A bare word would resolve against this app's own address, whose page answers for any path.
  if (!isRepoId(text) && !URL.canParse(text.trim())) {
    throw new GlimpseError('package-invalid', 'Enter a repository id (owner/name) or a full https:// URL.');
  }
  const location = parseHubLocation(text, { origin });
  return enteredEntry(location, await probeDownloadPlan(location.baseUrl, device));
}
