import { type KeyboardEvent, useEffect, useRef } from 'react';
import { useActions, useAppState } from '../app-context';
import { ArrowUpIcon, CloseIcon, ImageIcon, StopIcon } from '../icons';
import { acceptedImageTypes } from '../image/decode-image';
import { useAttach } from '../image/use-attach';
import { ImageThumb } from './ImageThumb';
import { LiveFigures } from './LiveFigures';

export function Composer() {
  const draft = useAppState((s) => s.draft);
  const setDraft = useAppState((s) => s.setDraft);
  const attachment = useAppState((s) => s.attachment);
  const clearAttachment = useAppState((s) => s.clearAttachment);
  const generating = useAppState((s) => s.generation !== undefined);
  const ready = useAppState((s) => s.load.status === 'ready');
  // A text-only model continues what it is given; it has no use for an image.
  const textOnly = useAppState((s) => s.load.info?.hasVision === false);
  const actions = useActions();
  const attach = useAttach();
  const fileInput = useRef<HTMLInputElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);

  const canSend = ready && !generating && (draft.trim() !== '' || attachment !== undefined);

  // Grow with the text up to a limit, then scroll.
  // biome-ignore lint/correctness/useExhaustiveDependencies: measures again whenever the draft changes
  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, 220)}px`;
  }, [draft]);

  const send = () => {
    if (canSend) void actions.send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <div className="composer-wrap">
      <LiveFigures />
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        {attachment && (
          <div className="attachment">
            <ImageThumb blob={attachment.blob} alt={`Attached: ${attachment.name}`} />
            <span className="attachment-name">{attachment.name}</span>
            <button
              type="button"
              className="attachment-remove"
              onClick={clearAttachment}
              aria-label="Remove image"
            >
              <CloseIcon size={14} />
            </button>
          </div>
        )}
        <div className="composer-row">
          <button
            type="button"
            className="icon-button composer-attach"
            onClick={() => fileInput.current?.click()}
            disabled={textOnly}
            aria-label="Add an image"
            title={textOnly ? 'This model reads text only' : 'Add an image'}
          >
            <ImageIcon />
          </button>
          <input
            ref={fileInput}
            data-testid="image-input"
            type="file"
            accept={acceptedImageTypes.join(',')}
            hidden
            aria-label="Image file"
            onChange={(event) => {
              if (event.target.files) attach(event.target.files);
              event.target.value = '';
            }}
          />
          <textarea
            id="prompt-input"
            ref={textarea}
            data-testid="prompt-input"
            rows={1}
            value={draft}
            placeholder={
              textOnly
                ? 'Begin a story and the model goes on…'
                : attachment
                  ? 'Ask about this image…'
                  : 'Ask anything, or add an image…'
            }
            aria-label="Message"
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onKeyDown}
          />
          {generating ? (
            <button
              type="button"
              className="send-button stop"
              data-testid="stop-button"
              onClick={actions.stop}
              aria-label="Stop"
              title="Stop"
            >
              <StopIcon size={16} />
            </button>
          ) : (
            <button
              type="submit"
              className="send-button"
              data-testid="send-button"
              disabled={!canSend}
              aria-label="Send"
              title={ready ? 'Send (Enter)' : 'Waiting for the model…'}
            >
              <ArrowUpIcon size={18} />
            </button>
          )}
        </div>
      </form>
      <p className="composer-note">
        Enter to send · Shift+Enter for a new line · Runs privately on this device
      </p>
    </div>
  );
}
