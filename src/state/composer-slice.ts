import type { SliceCreator } from './slice';

/** An image the user attached and has not sent yet. */
export interface Attachment {
  readonly blob: Blob;
  readonly name: string;
}

export interface ComposerSlice {
  readonly draft: string;
  readonly attachment: Attachment | undefined;
  setDraft(draft: string): void;
  attach(attachment: Attachment): void;
  clearAttachment(): void;
  /** After a send: the text and image now belong to the conversation. */
  clearComposer(): void;
}

export const createComposerSlice: SliceCreator<ComposerSlice> = (set) => ({
  draft: '',
  attachment: undefined,
  setDraft: (draft) => set({ draft }),
  attach: (attachment) => set({ attachment }),
  clearAttachment: () => set({ attachment: undefined }),
  clearComposer: () => set({ draft: '', attachment: undefined }),
});
