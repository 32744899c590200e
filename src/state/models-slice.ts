import type { GlimpseErrorObject } from '../engine/errors';
import type { DeviceClass, DownloadPlan } from '../engine/model/registry';
import type { Backend, LoadPhase, LoadProgress, ModelInfo } from '../engine/types';
import type { FolderFile } from '../storage/folder-reader';
import type { PackageFile } from '../worker/protocol';
import type { SliceCreator } from './slice';

/** A package this app serves, as /models/index.json (or, offline, the model cache) lists it. */
export interface ServedEntry {
  readonly kind: 'served';
  readonly id: string;
  readonly files: readonly PackageFile[];
  readonly sizeBytes: number;
}

/**
 * A Hugging Face repository, or a mirror with its layout: a registry model (sizes per device from the
 * registry) or one the user entered (sizes from the download plan probed for this device).
 */
export interface HubEntry {
  readonly kind: 'hub';
  /** The repository id, or the URL of a package that is not a repository. */
  readonly id: string;
  readonly label: string;
  readonly baseUrl: string;
  readonly licence: string | undefined;
  readonly notes: readonly string[];
  /** What a load downloads, per device; a user-entered location knows only the probed device's. */
  readonly plans: Partial<Record<DeviceClass, DownloadPlan>>;
}

/** A package in a folder the user picked on this computer. */
export interface FolderEntry {
  readonly kind: 'folder';
  readonly id: string;
  readonly label: string;
  readonly files: readonly FolderFile[];
  readonly sizeBytes: number;
}

/** A model the picker offers. */
export type CatalogEntry = ServedEntry | HubEntry | FolderEntry;

export type ModelStatus = 'idle' | 'downloading' | 'compiling' | 'warming-up' | 'ready' | 'error';

export interface LoadState {
  readonly modelId: string | undefined;
  readonly status: ModelStatus;
  readonly file: string | undefined;
  readonly loadedBytes: number;
  readonly totalBytes: number | undefined;
  readonly backend: Backend | undefined;
  /** Whether the GPU runs f16 shaders, as the worker found; with `backend` it says which files fit. */
  readonly shaderF16: boolean;
  readonly info: ModelInfo | undefined;
  readonly error: GlimpseErrorObject | undefined;
}

export interface ModelsSlice {
  readonly catalog: readonly CatalogEntry[];
  readonly selectedModelId: string | undefined;
  readonly load: LoadState;
  setCatalog(catalog: readonly CatalogEntry[]): void;
  /** Adds a model the user entered or picked, replacing one with the same id. */
  addCatalogEntry(entry: CatalogEntry): void;
  selectModel(id: string): void;
  loadStarted(modelId: string): void;
  loadProgressed(progress: LoadProgress): void;
  loadSucceeded(info: ModelInfo, backend: Backend, shaderF16?: boolean): void;
  loadFailed(error: GlimpseErrorObject): void;
}

const statusOfPhase: Record<LoadPhase, ModelStatus> = {
  config: 'downloading',
  download: 'downloading',
  compile: 'compiling',
  warmup: 'warming-up',
  ready: 'ready',
};

export const idleLoad: LoadState = {
  modelId: undefined,
  status: 'idle',
  file: undefined,
  loadedBytes: 0,
  totalBytes: undefined,
  backend: undefined,
  shaderF16: false,
  info: undefined,
  error: undefined,
};

/** The share of the whole load done, 0–1, or undefined while the total is unknown. */
export function loadFraction(load: LoadState): number | undefined {
  if (load.status === 'ready') return 1;
  if (!load.totalBytes) return undefined;
  return Math.min(1, load.loadedBytes / load.totalBytes);
}

export const createModelsSlice: SliceCreator<ModelsSlice> = (set) => ({
  catalog: [],
  selectedModelId: undefined,
  load: idleLoad,
  setCatalog: (catalog) => set({ catalog }),
  addCatalogEntry: (entry) =>
    set((state) => ({
      catalog: state.catalog.some((other) => other.id === entry.id)
        ? state.catalog.map((other) => (other.id === entry.id ? entry : other))
        : [...state.catalog, entry],
    })),
  selectModel: (id) => set({ selectedModelId: id }),
  loadStarted: (modelId) => set({ load: { ...idleLoad, modelId, status: 'downloading' } }),
  loadProgressed: (progress) =>
    set((state) => ({
      load: {
        ...state.load,
        status: statusOfPhase[progress.phase],
        file: progress.file,
        loadedBytes: progress.loadedBytes,
        totalBytes: progress.totalBytes,
      },
    })),
  loadSucceeded: (info, backend, shaderF16 = false) =>
    set((state) => ({
      load: { ...state.load, status: 'ready', file: undefined, info, backend, shaderF16, error: undefined },
    })),
  loadFailed: (error) => set((state) => ({ load: { ...state.load, status: 'error', error } })),
});
