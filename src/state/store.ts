import { create, type StoreApi, type UseBoundStore } from 'zustand';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { createComposerSlice } from './composer-slice';
import { createConversationsSlice } from './conversations-slice';
import { createModelsSlice } from './models-slice';
import { createSettingsSlice, defaultSettings, normaliseSettings, type Settings } from './settings-slice';
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
        version: 1,
        storage: createJSONStorage(() => storage),
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

function settingsOf(persisted: unknown): Partial<Settings> {
  if (typeof persisted !== 'object' || persisted === null || !('settings' in persisted)) return {};
  const { settings } = persisted;
  if (typeof settings !== 'object' || settings === null) return {};
  const result: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  if ('temperature' in settings && typeof settings.temperature === 'number')
    result.temperature = settings.temperature;
  if ('topP' in settings && typeof settings.topP === 'number') result.topP = settings.topP;
  if ('maxNewTokens' in settings && typeof settings.maxNewTokens === 'number') {
    result.maxNewTokens = settings.maxNewTokens;
  }
  if ('systemPrompt' in settings && typeof settings.systemPrompt === 'string') {
    result.systemPrompt = settings.systemPrompt;
  }
  return result;
}

function selectedModelOf(persisted: unknown): string | undefined {
  if (typeof persisted !== 'object' || persisted === null || !('selectedModelId' in persisted))
    return undefined;
  return typeof persisted.selectedModelId === 'string' ? persisted.selectedModelId : undefined;
}
