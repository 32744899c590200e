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
