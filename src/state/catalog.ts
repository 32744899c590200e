import hubModels from '../../models/registry/hub-models.json';
import { GlimpseError } from '../engine/errors';
import { DEVICE_CLASSES, type DeviceClass } from '../engine/model/files';
import type { FolderFile } from '../storage/folder-reader';
import { fetchHubListing } from '../storage/hub-listing';
import { planFromListing, probeDownloadPlan } from '../storage/hub-plan';
import { type DownloadPlan, type HubModelEntry, parseRegistry, planDownload } from '../storage/hub-registry';
import { HUB_HOST, type HubLocation, hubPackageUrl, isRepoId, parseHubLocation } from '../storage/hub-source';
import { isManifestFile } from '../storage/model-storage';
import type { ModelSource, PackageFile } from '../worker/protocol';
import type { CatalogEntry, FolderEntry, HubEntry, ServedEntry, TestModel } from './models-slice';

/** The registry's default model: what the first screen recommends. */
export const defaultModelId = parseRegistry(hubModels).defaultId;

/** A catalog entry from a package's files; its size is what a full download takes. */
export function catalogEntry(
  id: string,
  files: readonly PackageFile[],
  test: TestModel | undefined = undefined,
): ServedEntry {
  return { kind: 'served', id, files, sizeBytes: files.reduce((sum, file) => sum + file.size, 0), test };
}

/** A registry model, with what it downloads on each kind of device. */
export function registryEntry(entry: HubModelEntry, host = HUB_HOST): HubEntry {
  const plans: Partial<Record<DeviceClass, DownloadPlan>> = {};
  for (const device of DEVICE_CLASSES) plans[device] = planDownload(entry, device);
  return {
    kind: 'hub',
    id: entry.id,
    label: entry.label,
    baseUrl: hubPackageUrl(entry.id, entry.revision, host),
    repository: { repo: entry.id, revision: entry.revision, endpoint: host },
    licence: entry.licence,
    notes: entry.notes,
    plans,
    shape: entry.shape,
  };
}

/** The Hub models of models/registry/hub-models.json, bundled with the app, the default first. */
export function hubCatalog(data: unknown = hubModels): HubEntry[] {
  const registry = parseRegistry(data);
  const entries = registry.models.map((entry) => registryEntry(entry));
  return entries.sort((a, b) => Number(b.id === registry.defaultId) - Number(a.id === registry.defaultId));
}

/** A repository or mirror the user entered, with the plan for this device. */
export function enteredEntry(location: HubLocation, plan: DownloadPlan): HubEntry {
  const { id, revision, endpoint } = location;
  return {
    kind: 'hub',
    id,
    label: shortLabel(id),
    baseUrl: location.baseUrl,
    repository:
      endpoint !== undefined && revision !== undefined ? { repo: id, revision, endpoint } : undefined,
    licence: undefined,
    notes: [],
    plans: { [plan.device]: plan },
    shape: undefined,
  };
}

/**
 * What a person typed in the picker, as an entry with its download size on this device: a Hub repository
 * is planned from its listing, a plain folder of package files by asking its server for sizes.
 */
export async function findEnteredModel(text: string, device: DeviceClass, origin: string): Promise<HubEntry> {
  // A bare word would resolve against this app's own address, whose page answers for any path.
  if (!isRepoId(text) && !URL.canParse(text.trim())) {
    throw new GlimpseError('package-invalid', 'Enter a repository id (owner/name) or a full https:// URL.');
  }
  const location = parseHubLocation(text, { origin });
  if (location.endpoint === undefined || location.revision === undefined)
    return enteredEntry(location, await probeDownloadPlan(location.baseUrl, device));
  const listing = await fetchHubListing(location.id, location.revision, { endpoint: location.endpoint });
  return enteredEntry(location, planFromListing(listing.files, device));
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

/**
 * What the worker loads for an entry; served packages live under `modelBaseUrl`. A Hub repository is
 * listed first: the worker then chooses among the files it has, reads them at the listed commit and checks
 * each against its listed sha256. Offline (the listing unreachable), a cached model loads with the listing
 * stored when it was downloaded.
 */
export async function modelSource(
  entry: CatalogEntry,
  modelBaseUrl: string,
  signal?: AbortSignal,
): Promise<ModelSource> {
  switch (entry.kind) {
    case 'served':
      return { id: entry.id, baseUrl: `${modelBaseUrl}/${entry.id}/`, files: entry.files };
    case 'hub': {
      if (!entry.repository) return { id: entry.id, baseUrl: entry.baseUrl };
      const { repo, revision, endpoint } = entry.repository;
      try {
        const listing = await fetchHubListing(repo, revision, signal ? { endpoint, signal } : { endpoint });
        return { id: entry.id, baseUrl: listing.baseUrl, files: listing.files };
      } catch (err) {
        const error = GlimpseError.from(err);
        const unreachable = error.code === 'download-failed' && error.details?.status === undefined;
        if (unreachable && !signal?.aborted) return { id: entry.id, baseUrl: entry.baseUrl };
        throw error;
      }
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
    entries.push(catalogEntry(model.id, listed.filter(isManifestFile), testModelOf(model)));
  }
  return entries;
}

/** A package's `test` declaration (its glimpse.json, passed on by /models/index.json). */
function testModelOf(model: object): TestModel | undefined {
  if (!('test' in model) || typeof model.test !== 'object' || model.test === null) return undefined;
  const note = 'note' in model.test && typeof model.test.note === 'string' ? model.test.note : undefined;
  return { note };
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
