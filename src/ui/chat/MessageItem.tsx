import { memo, useState } from 'react';
import type { StoredMessage } from '../../storage/conversation-types';
import { formatMs } from '../format';
import { CheckIcon, CopyIcon, RefreshIcon } from '../icons';
import { ImageThumb } from './ImageThumb';
import { Markdown, StreamingMarkdown } from './Markdown';

interface Props {
  readonly message: StoredMessage;
  readonly streaming: boolean;
  /** The answer waits for the model to finish reading the question's images. */
  readonly lookingAtImages: boolean;
  readonly stopped: boolean;
  readonly canRegenerate: boolean;
  readonly onRegenerate: () => void;
  readonly onContinueAfterOverflow: () => void;
}

export const MessageItem = memo(function MessageItem({
  message,
  streaming,
  lookingAtImages,
  stopped,
  canRegenerate,
  onRegenerate,
  onContinueAfterOverflow,
}: Props) {
  if (message.role === 'user') {
    return (
      <article className="message message-user" data-testid="user-message" aria-label="Your message">
        {message.images && message.images.length > 0 && (
          <ul className="message-images" aria-label={imageCount(message.images.length)}>
            {message.images.map((image, index) => (
              // The order is the message's own and never changes.
              // biome-ignore lint/suspicious/noArrayIndexKey: images have no id of their own
              <li key={index}>
                <ImageThumb
                  blob={image.blob}
                  alt={`Image ${index + 1} of ${message.images?.length}: ${image.name ?? 'attached image'}`}
                />
              </li>
            ))}
          </ul>
        )}
        {message.text && <p className="bubble">{message.text}</p>}
      </article>
    );
  }
  const stats = message.stats;
  return (
    <article
      className="message message-assistant"
      data-testid="assistant-message"
      data-state={streaming ? 'streaming' : 'done'}
      aria-label="Answer"
      aria-busy={streaming}
    >
      <div className="answer">
        {message.text === '' && streaming ? (
          <span className="typing" role="status" aria-label={lookingAtImages ? undefined : 'Thinking'}>
            <i />
            <i />
            <i />
            {lookingAtImages && <span className="typing-note">Looking at the image…</span>}
          </span>
        ) : streaming ? (
          <StreamingMarkdown text={message.text} />
        ) : (
          <Markdown text={message.text} />
        )}
        {streaming && message.text !== '' && <span className="caret" aria-hidden="true" />}
      </div>
      {message.error && <p className="message-error">{message.error.message}</p>}
      {message.error?.code === 'context-overflow' && canRegenerate && (
        <p className="message-error">
          <button type="button" onClick={onContinueAfterOverflow} data-testid="continue-after-overflow">
            Continue from this question
          </button>{' '}
          The model then forgets the earlier turns; they stay here.
        </p>
      )}
      {!streaming && (
        <footer className="message-tools">
          <CopyButton text={message.text} />
          {canRegenerate && (
            <button
              type="button"
              className="icon-button"
              onClick={onRegenerate}
              aria-label="Regenerate answer"
              title="Regenerate"
            >
              <RefreshIcon size={16} />
            </button>
          )}
          {stopped && <span className="chip">Stopped</span>}
          {stats?.contextReset && (
            <span className="chip" title="The conversation outgrew the model's context">
              Earlier turns dropped
            </span>
          )}
          {stats && (
            <span
              className="stats"
              data-graph-capture={stats.graphCapture === true}
              title={stats.graphCapture ? 'Decoded by replaying a captured GPU graph' : undefined}
            >
              {formatMs(stats.timeToFirstTokenMs)} to first token · {stats.decodeTokensPerSecond.toFixed(1)}{' '}
              tok/s · {stats.generatedTokens} tokens
            </span>
          )}
        </footer>
      )}
    </article>
  );
});

function imageCount(count: number): string {
  return count === 1 ? 'One image' : `${count} images`;
}

function CopyButton({ text }: { readonly text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      () => setCopied(false),
    );
  };
  return (
    <button
      type="button"
      className="icon-button"
      onClick={copy}
      aria-label={copied ? 'Copied' : 'Copy answer'}
      title={copied ? 'Copied' : 'Copy'}
    >
      {copied ? <CheckIcon size={16} /> : <CopyIcon size={16} />}
    </button>
  );
}
