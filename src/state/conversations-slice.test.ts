import { describe, expect, it } from 'vitest';
import type { TurnStats } from '../engine/types';
import type { StoredConversation } from '../storage/conversation-types';
import { liveFigures, titleFrom } from './conversations-slice';
import { testStore } from './test-store';

const stats: TurnStats = {
  promptTokens: 80,
  prefillTokens: 80,
  generatedTokens: 3,
  visionMs: 5,
  prefillMs: 10,
  timeToFirstTokenMs: 20,
  decodeTokensPerSecond: 50,
  totalMs: 60,
};

function empty(id = 'c1'): StoredConversation {
  return { id, title: 'New chat', modelId: 'tiny-llava', createdAt: 1, updatedAt: 1, messages: [] };
}

function started() {
  const store = testStore();
  store.getState().openConversation(empty());
  store.getState().turnStarted({ id: 'u1', role: 'user', text: 'What is in the picture?' }, 'a1', 1000, 2);
  return store;
}

describe('conversations slice', () => {
  it('streams deltas into the answer and records the finished turn', () => {
    const store = started();
    const { deltaReceived, turnFinished } = store.getState();
    deltaReceived('Two ', 1, 1100);
    deltaReceived('boats', 1, 1150);
    expect(store.getState().active?.messages.at(-1)?.text).toBe('Two boats');
    turnFinished('Two boats.', 'eos', stats);
    const state = store.getState();
    expect(state.generation).toBeUndefined();
    expect(state.active?.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'What is in the picture?'],
      ['assistant', 'Two boats.'],
    ]);
    expect(state.active?.messages.at(-1)?.stats).toEqual(stats);
  });

  it('titles a conversation after its first question and lists it first', () => {
    const store = testStore();
    store
      .getState()
      .setSummaries([{ id: 'old', title: 'Old', modelId: 'm', createdAt: 0, updatedAt: 0, messageCount: 2 }]);
    store.getState().openConversation(empty());
    store.getState().turnStarted({ id: 'u1', role: 'user', text: '  Where   is this?  ' }, 'a1', 0, 5);
    expect(store.getState().summaries.map((s) => [s.id, s.title])).toEqual([
      ['c1', 'Where is this?'],
      ['old', 'Old'],
    ]);
  });

  it('marks a stopped answer and keeps its partial text', () => {
    const store = started();
    store.getState().deltaReceived('Once', 1, 1100);
    store.getState().turnFinished('Once', 'aborted', stats);
    expect(store.getState().stoppedMessageIds.has('a1')).toBe(true);
    expect(store.getState().active?.messages.at(-1)?.text).toBe('Once');
  });

  it('replaces the last answer when regenerating', () => {
    const store = started();
    store.getState().turnFinished('First try.', 'eos', stats);
    store.getState().regenerateStarted('a2', 2000, 3);
    const messages = store.getState().active?.messages ?? [];
    expect(messages.map((m) => m.id)).toEqual(['u1', 'a2']);
    expect(store.getState().generation?.messageId).toBe('a2');
  });

  it('puts a failed turn error on the answer and in the banner', () => {
    const store = started();
    store.getState().turnFailed({ name: 'GlimpseError', code: 'context-overflow', message: 'Too long.' });
    expect(store.getState().active?.messages.at(-1)?.error?.code).toBe('context-overflow');
    expect(store.getState().error?.message).toBe('Too long.');
    store.getState().dismissError();
    expect(store.getState().error).toBeUndefined();
  });

  it('ignores deltas that arrive after the user switched conversations', () => {
    const store = started();
    store.getState().openConversation(empty('c2'));
    store.getState().deltaReceived('late', 1, 1200);
    expect(store.getState().active?.messages).toEqual([]);
  });

  it('renames and deletes conversations in the list and the open one', () => {
    const store = started();
    store.getState().conversationRenamed('c1', 'Harbour');
    expect(store.getState().active?.title).toBe('Harbour');
    expect(store.getState().summaries[0]?.title).toBe('Harbour');
    store.getState().conversationDeleted('c1');
    expect(store.getState().active).toBeUndefined();
    expect(store.getState().summaries).toEqual([]);
  });
});

describe('liveFigures', () => {
  it('gives time to first token and tokens per second after the first token', () => {
    const figures = liveFigures({
      conversationId: 'c',
      messageId: 'm',
      startedAt: 1000,
      firstTokenAt: 1250,
      lastTokenAt: 2250,
      tokenCount: 11,
    });
    expect(figures).toEqual({ ttftMs: 250, tokensPerSecond: 10 });
  });

  it('has no rate before a second token', () => {
    const figures = liveFigures({
      conversationId: 'c',
      messageId: 'm',
      startedAt: 0,
      firstTokenAt: undefined,
      lastTokenAt: undefined,
      tokenCount: 0,
    });
    expect(figures).toEqual({ ttftMs: undefined, tokensPerSecond: undefined });
  });
});

describe('titleFrom', () => {
  it('shortens a long first question', () => {
    expect(titleFrom('a'.repeat(100))).toHaveLength(48);
  });
});
