/**
 * `--model ORG/NAME[@REVISION]`: a Hub repository read through the same listing and model cache as the
 * app (src/storage), kept in `$XDG_CACHE_HOME/glimpse` (else `~/.cache/glimpse`), resumable and checked
 * against the listing's sha256 values. An existing folder of that name wins over the Hub id.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GlimpseError } from '../engine/errors';
import { chooseDtypes, type DeviceClass } from '../engine/model/files';
import type { Dtype, ModelPart, PackageReader } from '../engine/types';
import type { ManifestFile } from '../storage/cache-records';
import { fetchHubListing } from '../storage/hub-listing';
import { DEFAULT_REVISION, HUB_HOST, hubPackageUrl, isRepoId } from '../storage/hub-source';
import { openCachedPackage, readStoredManifests } from '../storage/model-storage';
import { createNodeFileStore } from '../storage/node-file-store';

export interface HubModel {
  readonly reader: PackageReader;
  /** The repository's file paths, as its listing gives them. */
  readonly files: readonly string[];
  /** The file variant per part among the repository's files, by the engine's rule for the device. */
  readonly dtype: Partial<Record<ModelPart, Dtype>>;
}

/** The repository and revision `--model` names, or undefined when it is a folder (or names none). */
export async function hubModelId(model: string): Promise<{ repo: string; revision: string } | undefined> {
  if ((await stat(model).catch(() => undefined)) !== undefined || !isRepoId(model)) return undefined;
  const [repo = model, revision = DEFAULT_REVISION] = model.split('@');
  return { repo, revision };
}

/** Where downloaded models live, as the XDG base directory spec puts a cache. */
export function cacheFolder(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'glimpse');
}

/** The Hub or a mirror: `--hub-endpoint`, else HF_ENDPOINT (as Hugging Face's own tools read it). */
export function hubEndpoint(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return (option ?? env.HF_ENDPOINT?.trim()) || HUB_HOST;
}

export async function openHubModel(
  id: { repo: string; revision: string },
  options: { endpoint: string; cacheDir: string; device: DeviceClass },
): Promise<HubModel> {
  const store = createNodeFileStore(options.cacheDir);
  const origin = new URL(options.endpoint).origin;
  let baseUrl: string;
  let files: readonly ManifestFile[];
  try {
    const listing = await fetchHubListing(id.repo, id.revision, { endpoint: options.endpoint });
    baseUrl = listing.baseUrl;
    files = listing.files;
  } catch (err) {
    // Offline: the listing kept from the last download serves a model already in the cache.
    const error = GlimpseError.from(err);
    const stored = (await readStoredManifests(store)).find((entry) => entry.modelId === id.repo);
    if (error.code !== 'download-failed' || error.details?.status !== undefined || !stored) throw error;
    baseUrl = hubPackageUrl(id.repo, id.revision, options.endpoint);
    files = stored.files;
  }
  const reader = await openCachedPackage(store, { modelId: id.repo, baseUrl, manifest: files, origin });
  const paths = files.map((file) => file.path);
  return { reader, files: paths, dtype: chooseDtypes(paths, options.device) };
}
