import { describe, expect, it } from 'vitest';
import { defaultSettings } from './settings-slice';
import { MemoryStorage, testStore } from './test-store';

describe('settings slice', () => {
  it('starts from the LLaVA demo defaults', () => {
    expect(testStore().getState().settings).toEqual({
      temperature: 0.2,
      topP: 0.7,
      maxNewTokens: 512,
      systemPrompt: '',
    });
  });

  it('remembers changed settings across a reload', () => {
    const storage = new MemoryStorage();
    testStore(storage)
      .getState()
      .updateSettings({ temperature: 0.9, maxNewTokens: 64, systemPrompt: 'Be brief.' });
    const reloaded = testStore(storage).getState().settings;
    expect(reloaded).toEqual({ temperature: 0.9, topP: 0.7, maxNewTokens: 64, systemPrompt: 'Be brief.' });
  });

  it('clamps values outside the offered range instead of storing them', () => {
    const store = testStore();
    store.getState().updateSettings({ temperature: 7, topP: -1, maxNewTokens: Number.NaN });
    expect(store.getState().settings).toMatchObject({ temperature: 1, topP: 0.05, maxNewTokens: 1 });
  });

  it('ignores a stored value of the wrong type and keeps the default', () => {
    const storage = new MemoryStorage();
    storage.setItem(
      'glimpse-settings',
      JSON.stringify({ state: { settings: { temperature: 'hot', topP: 0.5 } }, version: 1 }),
    );
    expect(testStore(storage).getState().settings).toEqual({ ...defaultSettings, topP: 0.5 });
  });

  it('restores the defaults on reset', () => {
    const store = testStore();
    store.getState().updateSettings({ topP: 0.2 });
    store.getState().resetSettings();
    expect(store.getState().settings).toEqual(defaultSettings);
  });
});
