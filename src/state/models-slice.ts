import type { GlimpseErrorObject } from '../engine/errors';
import { type DeviceClass, deviceClass } from '../engine/model/files';
import type { CpuSpeed } from '../engine/runtime/decode-cost';
import type { Backend, LoadPhase, LoadProgress, ModelInfo } from '../engine/types';
import type { FolderFile } from '../storage/folder-reader';
import type { DownloadPlan, QuestionShape } from '../storage/hub-registry';
import type { PackageFile } from '../worker/protocol';
import type { SliceCreator } from './slice';

/**
 * A package that exists to test Glimpse, not to be used: it declares itself so (its glimpse.json), and is
 * listed apart and loaded only when asked for. `note` says what a person should know, e.g. that answers
 * are not about the picture.
 */
export interface TestModel {
  readonly note: string | undefined;
}

/** A package this app serves, as /models/index.json (or, offline, the model cache) lists it. */
export interface ServedEntry {
  readonly kind: 'served';
  readonly id: string;
  readonly files: readonly PackageFile[];
  readonly sizeBytes: number;
  /** Set for a test package. */
  readonly test: TestModel | undefined;
}

/** The Hub repository behind an entry, listed before a load. */
export interface HubRepository {
  readonly repo: string;
  readonly revision: string;
  /** The Hub or a mirror with its API. */
  readonly endpoint: string;
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
  /** Undefined for a plain folder of package files at a URL, which has no listing. */
  readonly repository: HubRepository | undefined;
  readonly licence: string | undefined;
  readonly notes: readonly string[];
  /** What a load downloads, per device; a user-entered location knows only the probed device's. */
  readonly plans: Partial<Record<DeviceClass, DownloadPlan>>;
  /** The shapes a question's cost follows, from the registry; undefined for an entered repository. */
  readonly shape: QuestionShape | undefined;
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
  /** The device a load will run on, as probed at start; the download sizes shown before a load are for it. */
  readonly device: DeviceClass | undefined;
  setDevice(device: DeviceClass): void;
  /** The CPU backend's speeds measured on this device, asked for only when the load will run on WebAssembly. */
  readonly cpuSpeed: SpeedProbe;
  setCpuSpeed(probe: SpeedProbe): void;
  setCatalog(catalog: readonly CatalogEntry[]): void;
  /** Adds a model the user entered or picked, replacing one with the same id. */
  addCatalogEntry(entry: CatalogEntry): void;
  selectModel(id: string): void;
  loadStarted(modelId: string): void;
  loadProgressed(progress: LoadProgress): void;
  loadSucceeded(info: ModelInfo, backend: Backend, shaderF16?: boolean): void;
  loadFailed(error: GlimpseErrorObject): void;
}

/** Where the CPU speed probe stands; a failed one shows no estimate rather than a guess. */
export type SpeedProbe =
  | { readonly status: 'idle' | 'measuring' | 'failed' }
  | { readonly status: 'measured'; readonly speed: CpuSpeed };

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

/** Which files a Hub model needs here: the device the last load ran on, else the one probed at start. */
export function currentDevice(state: Pick<ModelsSlice, 'load' | 'device'>): DeviceClass {
  const { backend, shaderF16 } = state.load;
  return backend ? deviceClass(backend, shaderF16) : (state.device ?? 'wasm');
}

export const createModelsSlice: SliceCreator<ModelsSlice> = (set) => ({
  catalog: [],
  selectedModelId: undefined,
  load: idleLoad,
  device: undefined,
  setDevice: (device) => set({ device }),
  cpuSpeed: { status: 'idle' },
  setCpuSpeed: (cpuSpeed) => set({ cpuSpeed }),
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
