import { describe, expect, it } from 'vitest';
import { defaultSettings, generationOf } from './settings-slice';
import { MemoryStorage, testStore } from './test-store';

describe('settings slice', () => {
  it('starts with nothing changed, so every option takes the model’s default', () => {
    expect(testStore().getState().settings).toEqual({ systemPrompt: '' });
    expect(generationOf(testStore().getState().settings)).toEqual({});
  });

  it('remembers changed settings across a reload, advanced options included', () => {
    const storage = new MemoryStorage();
    const generation = {
      temperature: 0.9,
      maxNewTokens: 64,
      topK: 40,
      repetitionPenalty: 1.2,
      seed: 7,
      draftTokens: 0,
    };
    testStore(storage)
      .getState()
      .updateSettings({ ...generation, systemPrompt: 'Be brief.' });
    const reloaded = testStore(storage).getState().settings;
    expect(reloaded).toEqual({ ...generation, systemPrompt: 'Be brief.' });
    expect(generationOf(reloaded)).toEqual(generation);
  });

  it('writes the stored settings when they change, not on every streamed token', () => {
    const writes: string[] = [];
    const storage = new MemoryStorage();
    const store = testStore({ ...storage, setItem: (_name, value) => void writes.push(value) });
    store.getState().updateSettings({ temperature: 0.5 });
    store.getState().openConversation({
      id: 'c1',
      title: 'New chat',
      modelId: 'tiny-llava',
      createdAt: 1,
      updatedAt: 1,
      messages: [],
    });
    store.getState().turnStarted({ id: 'u1', role: 'user', text: 'Hi' }, 'a1', 0, 1);
    for (let token = 0; token < 20; token++) store.getState().deltaReceived('word ', 1, token);
    store.getState().updateSettings({ temperature: 0.5 });
    store.getState().updateSettings({ topK: 40 });
    expect(writes.map((value) => JSON.parse(value).state.settings)).toEqual([
      { temperature: 0.5, systemPrompt: '' },
      { temperature: 0.5, topK: 40, systemPrompt: '' },
    ]);
  });

  it('gives an option back to the model when it is set to undefined', () => {
    const store = testStore();
    store.getState().updateSettings({ temperature: 0.5, topP: 0.9 });
    store.getState().updateSettings({ temperature: undefined });
    expect(store.getState().settings).toEqual({ topP: 0.9, systemPrompt: '' });
  });

  it('ignores a stored value of the wrong type', () => {
    const storage = new MemoryStorage();
    storage.setItem(
      'glimpse-settings',
      JSON.stringify({
        state: { settings: { temperature: 'hot', topP: 0.5, stopStrings: ['END', 3], seed: null } },
        version: 2,
      }),
    );
    expect(testStore(storage).getState().settings).toEqual({ topP: 0.5, systemPrompt: '' });
  });

  it('reads settings stored by version 1 as changed only where they differ from its defaults', () => {
    const storage = new MemoryStorage();
    storage.setItem(
      'glimpse-settings',
      JSON.stringify({
        state: { settings: { temperature: 0.2, topP: 0.7, maxNewTokens: 64, systemPrompt: 'Hi.' } },
        version: 1,
      }),
    );
    expect(testStore(storage).getState().settings).toEqual({ maxNewTokens: 64, systemPrompt: 'Hi.' });
  });

  it('restores the defaults on reset', () => {
    const store = testStore();
    store.getState().updateSettings({ topP: 0.2 });
    store.getState().resetSettings();
    expect(store.getState().settings).toEqual(defaultSettings);
  });
});
