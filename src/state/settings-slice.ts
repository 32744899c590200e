import type { SliceCreator } from './slice';

/** The generation settings a LLaVA user expects, with the reference demo's defaults; kept across reloads. */
export interface Settings {
  readonly temperature: number;
  readonly topP: number;
  readonly maxNewTokens: number;
  readonly systemPrompt: string;
}

export const defaultSettings: Settings = { temperature: 0.2, topP: 0.7, maxNewTokens: 512, systemPrompt: '' };

/** The bounds the settings panel offers; values outside are clamped, never rejected. */
export const settingBounds = {
  temperature: { min: 0, max: 1, step: 0.05 },
  topP: { min: 0.05, max: 1, step: 0.05 },
  maxNewTokens: { min: 1, max: 1024, step: 1 },
} as const;

export interface SettingsSlice {
  readonly settings: Settings;
  updateSettings(change: Partial<Settings>): void;
  resetSettings(): void;
}

function clamp(value: number, { min, max }: { readonly min: number; readonly max: number }): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

export function normaliseSettings(settings: Settings): Settings {
  return {
    temperature: clamp(settings.temperature, settingBounds.temperature),
    topP: clamp(settings.topP, settingBounds.topP),
    maxNewTokens: Math.round(clamp(settings.maxNewTokens, settingBounds.maxNewTokens)),
    systemPrompt: settings.systemPrompt,
  };
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set) => ({
  settings: defaultSettings,
  updateSettings: (change) =>
    set((state) => ({ settings: normaliseSettings({ ...state.settings, ...change }) })),
  resetSettings: () => set({ settings: defaultSettings }),
});
