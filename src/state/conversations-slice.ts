import type { GlimpseErrorObject } from '../engine/errors';
import type { FinishReason, TurnStats } from '../engine/types';
import {
  type ConversationSummary,
  type StoredConversation,
  type StoredMessage,
  summarize,
} from '../storage/conversation-types';
import type { SliceCreator } from './slice';

/** The answer being streamed, with what the live figures need. Times are performance.now() milliseconds. */
export interface Generation {
  readonly conversationId: string;
  readonly messageId: string;
  readonly startedAt: number;
  readonly firstTokenAt: number | undefined;
  readonly lastTokenAt: number | undefined;
  readonly tokenCount: number;
}

export interface ConversationsSlice {
  /** Newest first, as the conversation list shows them. */
  readonly summaries: readonly ConversationSummary[];
  readonly active: StoredConversation | undefined;
  readonly generation: Generation | undefined;
  /** The answers the user stopped, so the UI can say so; not persisted. */
  readonly stoppedMessageIds: ReadonlySet<string>;
  /** The last error to show in the banner until dismissed. */
  readonly error: GlimpseErrorObject | undefined;
  setSummaries(summaries: readonly ConversationSummary[]): void;
  openConversation(conversation: StoredConversation | undefined): void;
  /** Adds the user's message and an empty answer that the deltas fill. */
  turnStarted(user: StoredMessage, answerId: string, now: number, updatedAt: number): void;
  /** Drops the last answer and starts an empty one in its place. */
  regenerateStarted(answerId: string, now: number, updatedAt: number): void;
  deltaReceived(text: string, tokens: number, now: number): void;
  /** `stats` is absent for a turn stopped before the engine started it. */
  turnFinished(text: string, reason: FinishReason, stats: TurnStats | undefined): void;
  turnFailed(error: GlimpseErrorObject): void;
  conversationRenamed(id: string, title: string): void;
  conversationDeleted(id: string): void;
  showError(error: GlimpseErrorObject): void;
  dismissError(): void;
}

/** A conversation's title: the start of its first question. */
export function titleFrom(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  if (line === '') return 'Image chat';
  return line.length > 48 ? `${line.slice(0, 47).trimEnd()}…` : line;
}

function withSummary(
  summaries: readonly ConversationSummary[],
  conversation: StoredConversation,
): readonly ConversationSummary[] {
  return [summarize(conversation), ...summaries.filter((s) => s.id !== conversation.id)];
}

function replaceMessage(
  conversation: StoredConversation,
  id: string,
  change: (message: StoredMessage) => StoredMessage,
): StoredConversation {
  return { ...conversation, messages: conversation.messages.map((m) => (m.id === id ? change(m) : m)) };
}

export const createConversationsSlice: SliceCreator<ConversationsSlice> = (set) => ({
  summaries: [],
  active: undefined,
  generation: undefined,
  stoppedMessageIds: new Set(),
  error: undefined,
  setSummaries: (summaries) => set({ summaries }),
  openConversation: (active) => set({ active, generation: undefined }),
  turnStarted: (user, answerId, now, updatedAt) =>
    set((state) => {
      if (!state.active) return {};
      const active: StoredConversation = {
        ...state.active,
        title: state.active.messages.length === 0 ? titleFrom(user.text) : state.active.title,
        updatedAt,
        messages: [...state.active.messages, user, { id: answerId, role: 'assistant', text: '' }],
      };
      return {
        active,
        summaries: withSummary(state.summaries, active),
        generation: newGeneration(active.id, answerId, now),
        error: undefined,
      };
    }),
  regenerateStarted: (answerId, now, updatedAt) =>
    set((state) => {
      if (!state.active) return {};
      const { messages } = state.active;
      const kept = messages.at(-1)?.role === 'assistant' ? messages.slice(0, -1) : messages;
      const active: StoredConversation = {
        ...state.active,
        updatedAt,
        messages: [...kept, { id: answerId, role: 'assistant', text: '' }],
      };
      return {
        active,
        summaries: withSummary(state.summaries, active),
        generation: newGeneration(active.id, answerId, now),
        error: undefined,
      };
    }),
  deltaReceived: (text, tokens, now) =>
    set((state) => {
      const { active, generation } = state;
      if (!active || !generation || active.id !== generation.conversationId) return {};
      return {
        active: replaceMessage(active, generation.messageId, (m) => ({ ...m, text: m.text + text })),
        generation: {
          ...generation,
          firstTokenAt: generation.firstTokenAt ?? now,
          lastTokenAt: now,
          tokenCount: generation.tokenCount + tokens,
        },
      };
    }),
  turnFinished: (text, reason, stats) =>
    set((state) => {
      const { active, generation } = state;
      if (!active || !generation || active.id !== generation.conversationId) return { generation: undefined };
      const stopped = new Set(state.stoppedMessageIds);
      if (reason === 'aborted') stopped.add(generation.messageId);
      return {
        active: replaceMessage(active, generation.messageId, (m) => ({
          ...m,
          text,
          ...(stats ? { stats } : {}),
        })),
        generation: undefined,
        stoppedMessageIds: stopped,
      };
    }),
  turnFailed: (error) =>
    set((state) => {
      const { active, generation } = state;
      if (!active || !generation || active.id !== generation.conversationId) {
        return { generation: undefined, error };
      }
      return {
        active: replaceMessage(active, generation.messageId, (m) => ({ ...m, error })),
        generation: undefined,
        error,
      };
    }),
  conversationRenamed: (id, title) =>
    set((state) => ({
      summaries: state.summaries.map((s) => (s.id === id ? { ...s, title } : s)),
      active: state.active?.id === id ? { ...state.active, title } : state.active,
    })),
  conversationDeleted: (id) =>
    set((state) => ({
      summaries: state.summaries.filter((s) => s.id !== id),
      active: state.active?.id === id ? undefined : state.active,
    })),
  showError: (error) => set({ error }),
  dismissError: () => set({ error: undefined }),
});

function newGeneration(conversationId: string, messageId: string, now: number): Generation {
  return {
    conversationId,
    messageId,
    startedAt: now,
    firstTokenAt: undefined,
    lastTokenAt: undefined,
    tokenCount: 0,
  };
}

/** Live figures: time to first token, and tokens per second since the first token. */
export function liveFigures(generation: Generation): {
  ttftMs: number | undefined;
  tokensPerSecond: number | undefined;
} {
  const { startedAt, firstTokenAt, lastTokenAt, tokenCount } = generation;
  const ttftMs = firstTokenAt === undefined ? undefined : firstTokenAt - startedAt;
  const span = firstTokenAt !== undefined && lastTokenAt !== undefined ? lastTokenAt - firstTokenAt : 0;
  const tokensPerSecond = span > 0 && tokenCount > 1 ? ((tokenCount - 1) * 1000) / span : undefined;
  return { ttftMs, tokensPerSecond };
}
