import type { StateCreator } from 'zustand';
import type { ComposerSlice } from './composer-slice';
import type { ConversationsSlice } from './conversations-slice';
import type { ModelsSlice } from './models-slice';
import type { SettingsSlice } from './settings-slice';

export type AppState = ModelsSlice & ConversationsSlice & SettingsSlice & ComposerSlice;

/** A slice sees the whole store (zustand's slices pattern); the persist middleware wraps the combined store. */
export type SliceCreator<T> = StateCreator<AppState, [['zustand/persist', unknown]], [], T>;
