import type { GlimpseErrorObject } from '../engine/errors';
import type { TurnStats } from '../engine/types';

export interface StoredImage {
  readonly blob: Blob;
  readonly name?: string;
}

export interface StoredMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  /** The images of a user turn, in the order they were attached. */
  readonly images?: readonly StoredImage[];
  readonly stats?: TurnStats;
  readonly error?: GlimpseErrorObject;
}

export interface StoredConversation {
  readonly id: string;
  readonly title: string;
  readonly modelId: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly messages: readonly StoredMessage[];
}

/** What a conversation list shows, without reading any message or image. */
export interface ConversationSummary {
  readonly id: string;
  readonly title: string;
  readonly modelId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly messageCount: number;
}

export function summarize(conversation: StoredConversation): ConversationSummary {
  const { id, title, modelId, createdAt, updatedAt, messages } = conversation;
  return { id, title, modelId, createdAt, updatedAt, messageCount: messages.length };
}

/** A message as stored before a turn could carry several images: one `image` field. */
type EarlierMessage = StoredMessage & { readonly image?: StoredImage };

/** A stored conversation in today's shape, whatever version of Glimpse wrote it. */
export function currentShape(conversation: StoredConversation): StoredConversation {
  const messages = conversation.messages as readonly EarlierMessage[];
  if (!messages.some((message) => message.image)) return conversation;
  return {
    ...conversation,
    messages: messages.map(({ image, ...message }) =>
      image ? { ...message, images: [image, ...(message.images ?? [])] } : message,
    ),
  };
}
