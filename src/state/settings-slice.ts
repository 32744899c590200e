import type { GenerationSettings } from '../engine/types';
import type { SliceCreator } from './slice';

/**
 * What the user changed, kept across reloads: the generation options they set (each one left out takes the
 * loaded model's default, from its generation_config.json) and the system prompt for new conversations.
 */
export interface Settings extends GenerationSettings {
  readonly systemPrompt: string;
}

export const defaultSettings: Settings = { systemPrompt: '' };

export interface SettingsSlice {
  readonly settings: Settings;
  /** Sets options; one set to undefined goes back to the model's default. */
  updateSettings(change: Partial<Settings>): void;
  resetSettings(): void;
}

/**
 * Keeps the values a generation option can take (a finite number, a list of strings) and drops the rest,
 * e.g. a stored value of the wrong type. The engine defines the options; this layer only carries them.
 */
export function normaliseSettings(value: Readonly<Record<string, unknown>>): Settings {
  const settings: Record<string, unknown> = { systemPrompt: '' };
  for (const [key, option] of Object.entries(value)) {
    if (key === 'systemPrompt') {
      if (typeof option === 'string') settings[key] = option;
    } else if (typeof option === 'number' ? Number.isFinite(option) : isStringList(option)) {
      settings[key] = option;
    }
  }
  return settings as unknown as Settings;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The options a turn passes to the engine. */
export function generationOf({ systemPrompt: _systemPrompt, ...generation }: Settings): GenerationSettings {
  return generation;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set) => ({
  settings: defaultSettings,
  updateSettings: (change) =>
    set((state) => ({ settings: normaliseSettings({ ...state.settings, ...change }) })),
  resetSettings: () => set({ settings: defaultSettings }),
});
