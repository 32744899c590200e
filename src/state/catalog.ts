import hubModels from '../../models/registry/hub-models.json';
import { GlimpseError } from '../engine/errors';
import {
  DEVICE_CLASSES,
  type DeviceClass,
  type DownloadPlan,
  type HubModelEntry,
  parseRegistry,
  planDownload,
} from '../engine/model/registry';
import type { FolderFile } from '../storage/folder-reader';
import { hubPackageUrl } from '../storage/hub-source';
import { isManifestFile } from '../storage/model-storage';
import type { DtypesByDevice, ModelSource, PackageFile } from '../worker/protocol';
import type { CatalogEntry, FolderEntry, HubEntry, ServedEntry } from './models-slice';

/** A catalog entry from a package's files; its size is what a full download takes. */
export function catalogEntry(id: string, files: readonly PackageFile[]): ServedEntry {
  return { kind: 'served', id, files, sizeBytes: files.reduce((sum, file) => sum + file.size, 0) };
}

/** A registry model, with what it downloads on each kind of device. */
export function registryEntry(entry: HubModelEntry, host?: string): HubEntry {
  const plans: Partial<Record<DeviceClass, DownloadPlan>> = {};
  for (const device of DEVICE_CLASSES) plans[device] = planDownload(entry, device);
  return {
    kind: 'hub',
    id: entry.id,
    label: entry.label,
    baseUrl: hubPackageUrl(entry.id, entry.revision, host),
    licence: entry.licence,
    notes: entry.notes,
    plans,
  };
}

/** The Hub models of models/registry/hub-models.json, bundled with the app, the default first. */
export function hubCatalog(data: unknown = hubModels): HubEntry[] {
  const registry = parseRegistry(data);
  const entries = registry.models.map((entry) => registryEntry(entry));
  return entries.sort((a, b) => Number(b.id === registry.defaultId) - Number(a.id === registry.defaultId));
}

/** A repository or mirror the user entered, with the plan probed for this device. */
export function enteredEntry(location: { id: string; baseUrl: string }, plan: DownloadPlan): HubEntry {
  return {
    kind: 'hub',
    id: location.id,
    label: shortLabel(location.id),
    baseUrl: location.baseUrl,
    licence: undefined,
    notes: [],
    plans: { [plan.device]: plan },
  };
}

/** A repository id as it is; a URL as its last folder and host, which is what tells two apart in a list. */
function shortLabel(id: string): string {
  if (!URL.canParse(id)) return id;
  const url = new URL(id);
  const folder = url.pathname.split('/').filter(Boolean).at(-1);
  return folder ? `${decodeURIComponent(folder)} (${url.host})` : url.host;
}

/** A folder the user picked; its id cannot clash with a served package of the same name. */
export function folderEntry(name: string, files: readonly FolderFile[]): FolderEntry {
  return {
    kind: 'folder',
    id: `folder:${name}`,
    label: name,
    files,
    sizeBytes: files.reduce((sum, entry) => sum + entry.file.size, 0),
  };
}

/** What the worker loads for an entry; served packages live under `modelBaseUrl`. */
export function modelSource(entry: CatalogEntry, modelBaseUrl: string): ModelSource {
  switch (entry.kind) {
    case 'served':
      return { id: entry.id, baseUrl: `${modelBaseUrl}/${entry.id}/`, files: entry.files };
    case 'hub': {
      // Each device loads exactly the dtypes whose size the user was shown, and tries no other variant.
      const dtype: DtypesByDevice = {};
      for (const device of DEVICE_CLASSES) {
        const plan = entry.plans[device];
        if (plan) dtype[device] = plan.dtype;
      }
      return { id: entry.id, baseUrl: entry.baseUrl, dtype };
    }
    case 'folder':
      return { id: entry.label, folder: entry.files };
  }
}

/**
 * Reads /models/index.json (`{ models: [{ id, files: [{ path, size, sha256 }] }] }`) into catalog entries;
 * a malformed entry or file is skipped rather than hiding the rest.
 */
export function parseCatalog(data: unknown): CatalogEntry[] {
  if (typeof data !== 'object' || data === null || !('models' in data) || !Array.isArray(data.models)) {
    throw new GlimpseError(
      'package-invalid',
      'The model list (/models/index.json) is not in the expected form.',
    );
  }
  const entries: CatalogEntry[] = [];
  for (const model of data.models) {
    if (typeof model !== 'object' || model === null || !('id' in model) || typeof model.id !== 'string')
      continue;
    const listed: unknown[] = 'files' in model && Array.isArray(model.files) ? model.files : [];
    entries.push(catalogEntry(model.id, listed.filter(isManifestFile)));
  }
  return entries;
}

/** The packages this app serves, then the registry's Hub models. */
export async function fetchCatalog(url = '/models/index.json'): Promise<CatalogEntry[]> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (cause) {
    throw new GlimpseError(
      'download-failed',
      'Could not fetch the model list. Check the connection and reload.',
      {
        cause,
      },
    );
  }
  if (!response.ok) {
    throw new GlimpseError(
      'download-failed',
      `The model list answered ${response.status}; reload to try again.`,
      {
        details: { status: response.status },
      },
    );
  }
  return [...parseCatalog(await response.json()), ...hubCatalog()];
}
