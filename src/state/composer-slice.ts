import type { RgbaImage } from '../engine/types';
import type { SliceCreator } from './slice';

/** An image the user attached and has not sent yet, decoded when it was attached. */
export interface Attachment {
  readonly id: string;
  readonly blob: Blob;
  readonly name: string;
  readonly image: RgbaImage;
}

export interface ComposerSlice {
  readonly draft: string;
  /** In the order they were attached: the order the model reads them in. */
  readonly attachments: readonly Attachment[];
  setDraft(draft: string): void;
  addAttachment(attachment: Attachment): void;
  removeAttachment(id: string): void;
  /** After a send: the text and images now belong to the conversation. */
  clearComposer(): void;
}

export const createComposerSlice: SliceCreator<ComposerSlice> = (set) => ({
  draft: '',
  attachments: [],
  setDraft: (draft) => set({ draft }),
  addAttachment: (attachment) => set((state) => ({ attachments: [...state.attachments, attachment] })),
  removeAttachment: (id) =>
    set((state) => ({ attachments: state.attachments.filter((attachment) => attachment.id !== id) })),
  clearComposer: () => set({ draft: '', attachments: [] }),
});
