import { describe, expect, it } from 'vitest';
import { testStore } from './test-store';

describe('composer slice', () => {
  it('holds a draft and an attachment until the message is sent', () => {
    const store = testStore();
    const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
    store.getState().setDraft('What is this?');
    store.getState().attach({ blob, name: 'a.png' });
    expect(store.getState()).toMatchObject({ draft: 'What is this?', attachment: { name: 'a.png' } });
    store.getState().clearComposer();
    expect(store.getState()).toMatchObject({ draft: '', attachment: undefined });
  });

  it('removes only the image when the user takes it off', () => {
    const store = testStore();
    store.getState().setDraft('Keep me');
    store.getState().attach({ blob: new Blob([]), name: 'b.png' });
    store.getState().clearAttachment();
    expect(store.getState()).toMatchObject({ draft: 'Keep me', attachment: undefined });
  });
});
