import { useCallback, useEffect, useRef } from 'react';
import { useActions, useAppState } from '../app-context';
import { EmptyState } from './EmptyState';
import { MessageItem } from './MessageItem';

export function MessageList() {
  const active = useAppState((s) => s.active);
  const generation = useAppState((s) => s.generation);
  const stopped = useAppState((s) => s.stoppedMessageIds);
  const readingAhead = useAppState((s) => s.readingAhead);
  const ready = useAppState((s) => s.load.status === 'ready');
  const actions = useActions();
  const end = useRef<HTMLDivElement>(null);
  // Stable handlers, so the memoised items (Markdown included) re-render only when their message changes.
  const onRegenerate = useCallback(() => void actions.regenerate(), [actions]);
  const onContinueAfterOverflow = useCallback(() => void actions.continueAfterOverflow(), [actions]);
  const messages = active?.messages ?? [];
  const lastText = messages.at(-1)?.text;

  // Follow the answer as it streams, unless the reader scrolled up to read.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the last message grows
  useEffect(() => {
    const scroller = end.current?.parentElement?.parentElement;
    if (!scroller) return;
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 160;
    if (nearBottom) end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, lastText]);

  if (messages.length === 0) return <EmptyState />;
  const lastId = messages.at(-1)?.id;
  return (
    // Not a live region: the Announcer says when an answer starts and reads it once it is whole.
    <section className="messages" aria-label="Conversation">
      {messages.map((message) => (
        <MessageItem
          key={message.id}
          message={message}
          streaming={generation?.messageId === message.id}
          lookingAtImages={readingAhead && generation?.messageId === message.id}
          stopped={stopped.has(message.id)}
          canRegenerate={message.id === lastId && ready && !generation}
          onRegenerate={onRegenerate}
          onContinueAfterOverflow={onContinueAfterOverflow}
        />
      ))}
      <div ref={end} />
    </section>
  );
}
