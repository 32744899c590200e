import { describe, expect, it } from 'vitest';
import type { Attachment } from './composer-slice';
import { testStore } from './test-store';

const attachment = (id: string): Attachment => ({
  id,
  blob: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }),
  name: `${id}.png`,
  image: { width: 1, height: 1, data: new Uint8Array(4) },
});

describe('composer slice', () => {
  it('holds a draft and several attachments, in order, until the message is sent', () => {
    const store = testStore();
    store.getState().setDraft('What is this?');
    store.getState().addAttachment(attachment('a'));
    store.getState().addAttachment(attachment('b'));
    expect(store.getState().draft).toBe('What is this?');
    expect(store.getState().attachments.map((a) => a.name)).toEqual(['a.png', 'b.png']);
    store.getState().clearComposer({ text: 'What is this?', attachmentIds: ['a', 'b'] });
    expect(store.getState()).toMatchObject({ draft: '', attachments: [] });
  });

  it('keeps what was typed or attached after the message it sends was taken', () => {
    const store = testStore();
    store.getState().setDraft('What is this?');
    store.getState().addAttachment(attachment('a'));
    store.getState().addAttachment(attachment('b'));
    store.getState().setDraft('And this one?');
    store.getState().clearComposer({ text: 'What is this?', attachmentIds: ['a'] });
    expect(store.getState().draft).toBe('And this one?');
    expect(store.getState().attachments.map((a) => a.id)).toEqual(['b']);
  });

  it('removes only the image the user takes off', () => {
    const store = testStore();
    store.getState().setDraft('Keep me');
    for (const id of ['a', 'b', 'c']) store.getState().addAttachment(attachment(id));
    store.getState().removeAttachment('b');
    expect(store.getState().draft).toBe('Keep me');
    expect(store.getState().attachments.map((a) => a.id)).toEqual(['a', 'c']);
  });
});
