import { create, type StoreApi, type UseBoundStore } from 'zustand';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { createComposerSlice } from './composer-slice';
import { createConversationsSlice } from './conversations-slice';
import { createModelsSlice } from './models-slice';
import { createSettingsSlice, defaultSettings, normaliseSettings } from './settings-slice';
import type { AppState } from './slice';

export type { AppState } from './slice';
export type AppStore = UseBoundStore<StoreApi<AppState>>;

/**
 * One store made of slices. Only the settings and the chosen model are persisted here; conversations live
 * in IndexedDB (src/storage) and the rest is rebuilt on load.
 */
export function createAppStore(storage: StateStorage): AppStore {
  return create<AppState>()(
    persist(
      (...a) => ({
        ...createModelsSlice(...a),
        ...createConversationsSlice(...a),
        ...createSettingsSlice(...a),
        ...createComposerSlice(...a),
      }),
      {
        name: 'glimpse-settings',
        version: 2,
        migrate,
        storage: createJSONStorage(() => writeOnChange(storage)),
        partialize: (state) => ({ settings: state.settings, selectedModelId: state.selectedModelId }),
        merge: (persisted, current) => ({
          ...current,
          settings: normaliseSettings({ ...defaultSettings, ...settingsOf(persisted) }),
          selectedModelId: selectedModelOf(persisted) ?? current.selectedModelId,
        }),
      },
    ),
  );
}

/**
 * zustand's persist writes the persisted part on every change of the store, and a streaming answer changes it
 * tens of times a second: localStorage's synchronous writes then took a tenth of the page's main thread
 * (profiled on wasm at 70–90 tokens/s). A value is written only when it differs from the last one read or written.
 */
function writeOnChange(storage: StateStorage): StateStorage {
  const known = new Map<string, string | null>();
  return {
    getItem: (name) => {
      const value = storage.getItem(name);
      if (typeof value === 'string' || value === null) known.set(name, value);
      return value;
    },
    setItem: (name, value) => {
      if (known.get(name) === value) return;
      known.set(name, value);
      return storage.setItem(name, value);
    },
    removeItem: (name) => {
      known.delete(name);
      return storage.removeItem(name);
    },
  };
}

function settingsOf(persisted: unknown): Readonly<Record<string, unknown>> {
  if (typeof persisted !== 'object' || persisted === null || !('settings' in persisted)) return {};
  const { settings } = persisted;
  return typeof settings === 'object' && settings !== null
    ? Object.fromEntries(Object.entries(settings))
    : {};
}

/**
 * Version 1 stored every setting, the app's own defaults included (temperature 0.2, top-p 0.7, 512 new
 * tokens); from version 2 only what the user changed is stored. A value equal to an old default is taken
 * as never changed, so the model's own default applies.
 */
function migrate(persisted: unknown, version: number): unknown {
  if (version >= 2) return persisted;
  const oldDefaults: Readonly<Record<string, number>> = { temperature: 0.2, topP: 0.7, maxNewTokens: 512 };
  const settings = Object.entries(settingsOf(persisted)).filter(([key, value]) => oldDefaults[key] !== value);
  return { ...(persisted as object), settings: Object.fromEntries(settings) };
}

function selectedModelOf(persisted: unknown): string | undefined {
  if (typeof persisted !== 'object' || persisted === null || !('selectedModelId' in persisted))
    return undefined;
  return typeof persisted.selectedModelId === 'string' ? persisted.selectedModelId : undefined;
}
