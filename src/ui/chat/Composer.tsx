import { type ChangeEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useActions, useAppState } from '../app-context';
import { ArrowUpIcon, CameraIcon, CloseIcon, ImageIcon, StopIcon } from '../icons';
import { CameraDialog } from '../image/CameraDialog';
import { acceptedImageTypes } from '../image/decode-image';
import { useAttach } from '../image/use-attach';
import { useCameraKind } from '../image/use-camera';
import { ImageThumb } from './ImageThumb';
import { LiveFigures } from './LiveFigures';

export function Composer() {
  const draft = useAppState((s) => s.draft);
  const setDraft = useAppState((s) => s.setDraft);
  const attachments = useAppState((s) => s.attachments);
  const preparingImages = useAppState((s) => s.preparingImages);
  const readingAhead = useAppState((s) => s.readingAhead);
  const generating = useAppState((s) => s.generation !== undefined);
  const loadStatus = useAppState((s) => s.load.status);
  const ready = loadStatus === 'ready';
  // A text-only model continues what it is given; it has no use for an image.
  const textOnly = useAppState((s) => s.load.info?.hasVision === false);
  const actions = useActions();
  const attach = useAttach();
  const fileInput = useRef<HTMLInputElement>(null);
  const cameraInput = useRef<HTMLInputElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const camera = useCameraKind();
  const [cameraOpen, setCameraOpen] = useState(false);

  const canSend =
    ready && !generating && (draft.trim() !== '' || attachments.length > 0 || preparingImages > 0);
  // Without a model, Enter does nothing: say why, where the eye is.
  const noModel = loadStatus === 'idle' || loadStatus === 'error';
  const waiting = noModel ? 'Choose a model first' : 'Waiting for the model…';

  // Grow with the text up to a limit, then scroll.
  // biome-ignore lint/correctness/useExhaustiveDependencies: measures again whenever the draft changes
  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, 220)}px`;
  }, [draft]);

  // Emptied after each choice, so choosing the same file again still counts as a change.
  const takeFiles = (event: ChangeEvent<HTMLInputElement>) => {
    if (event.target.files) attach(event.target.files);
    event.target.value = '';
  };

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
        {attachments.length + preparingImages > 0 && (
          <ul className="attachments" aria-label="Images to send">
            {attachments.map((attachment) => (
              <li key={attachment.id} className="attachment" data-testid="attachment">
                <ImageThumb blob={attachment.blob} alt={`Attached: ${attachment.name}`} />
                <span className="attachment-name">{attachment.name}</span>
                <button
                  type="button"
                  className="attachment-remove"
                  onClick={() => {
                    actions.removeAttachment(attachment.id);
                    textarea.current?.focus();
                  }}
                  aria-label={`Remove ${attachment.name}`}
                >
                  <CloseIcon size={14} />
                </button>
              </li>
            ))}
            {preparingImages > 0 && (
              <li className="attachment preparing" aria-busy="true">
                <span className="attachment-name">
                  {preparingImages === 1 ? 'Reading the image…' : `Reading ${preparingImages} images…`}
                </span>
              </li>
            )}
            {readingAhead && preparingImages === 0 && (
              // The model reads the images while the question is typed: the answer then starts sooner.
              <li className="attachment-note" role="status" data-testid="reading-ahead">
                {attachments.length === 1 ? 'Looking at the image…' : 'Looking at the images…'}
              </li>
            )}
          </ul>
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
            multiple
            hidden
            aria-label="Image files"
            onChange={takeFiles}
          />
          {camera && (
            <button
              type="button"
              className="icon-button composer-attach"
              onClick={() => (camera === 'capture' ? cameraInput.current?.click() : setCameraOpen(true))}
              disabled={textOnly}
              aria-label="Take photo"
              title={textOnly ? 'This model reads text only' : 'Take photo'}
            >
              <CameraIcon />
            </button>
          )}
          <input
            ref={cameraInput}
            data-testid="camera-input"
            type="file"
            accept="image/*"
            capture="environment"
            hidden
            aria-label="Photo from the camera"
            onChange={takeFiles}
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
                : attachments.length > 1
                  ? 'Ask about these images…'
                  : attachments.length === 1
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
              title={ready ? 'Send (Enter)' : waiting}
            >
              <ArrowUpIcon size={18} />
            </button>
          )}
        </div>
      </form>
      <p className={ready ? 'composer-note' : 'composer-note waiting'} data-testid="composer-note">
        {ready
          ? 'Enter to send · Shift+Enter for a new line · Runs privately on this device'
          : noModel
            ? 'Choose a model above to send your question'
            : 'Your question can wait here while the model loads'}
      </p>
      {cameraOpen && (
        <CameraDialog
          onCapture={(photo) => {
            attach([photo]);
            setCameraOpen(false);
          }}
          onClose={() => setCameraOpen(false)}
        />
      )}
    </div>
  );
}
