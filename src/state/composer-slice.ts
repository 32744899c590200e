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
  /** Images still being decoded: a send waits for them, and the composer says so. */
  readonly preparingImages: number;
  /** The model is reading the attached images ahead of the send (Conversation.prepare); a send waits for it. */
  readonly readingAhead: boolean;
  setDraft(draft: string): void;
  addAttachment(attachment: Attachment): void;
  removeAttachment(id: string): void;
  preparingImagesChanged(delta: number): void;
  readingAheadChanged(reading: boolean): void;
  /**
   * After a send: the text and images sent now belong to the conversation. What was typed or attached
   * while the send waited for its images stays for the next message.
   */
  clearComposer(sent: { readonly text: string; readonly attachmentIds: readonly string[] }): void;
}

export const createComposerSlice: SliceCreator<ComposerSlice> = (set) => ({
  draft: '',
  attachments: [],
  preparingImages: 0,
  readingAhead: false,
  setDraft: (draft) => set({ draft }),
  addAttachment: (attachment) => set((state) => ({ attachments: [...state.attachments, attachment] })),
  removeAttachment: (id) =>
    set((state) => ({ attachments: state.attachments.filter((attachment) => attachment.id !== id) })),
  preparingImagesChanged: (delta) => set((state) => ({ preparingImages: state.preparingImages + delta })),
  readingAheadChanged: (readingAhead) => set({ readingAhead }),
  clearComposer: ({ text, attachmentIds }) =>
    set((state) => ({
      draft: state.draft.trim() === text ? '' : state.draft,
      attachments: state.attachments.filter((attachment) => !attachmentIds.includes(attachment.id)),
    })),
});
