import type { ErrorCode } from '../engine/errors';
import { useAppState } from './app-context';
import { CloseIcon } from './icons';

const titles: Record<ErrorCode, string> = {
  'package-file-missing': 'A model file is missing',
  'package-invalid': 'This model package cannot be used',
  'download-failed': 'Download failed',
  'quota-exceeded': 'Not enough storage',
  'image-invalid': 'This image cannot be used',
  'model-text-only': 'This model reads text only',
  'model-unknown': 'No such model',
  'model-not-loaded': 'The model is not ready',
  'context-overflow': 'The conversation is too long',
  'backend-unavailable': 'This backend cannot run here',
  'device-lost': 'The GPU stopped responding',
  'out-of-memory': 'Out of memory',
  busy: 'Please wait',
  aborted: 'Stopped',
  internal: 'Something went wrong',
};

/** The load error, else the last chat error, with the engine's actionable message. */
export function ErrorBanner() {
  const loadError = useAppState((s) => s.load.error);
  const chatError = useAppState((s) => s.error);
  const dismiss = useAppState((s) => s.dismissError);
  const error = loadError ?? chatError;
  if (!error || error.code === 'aborted') return null;
  return (
    <div className="error-banner" data-testid="error-banner" role="alert" data-code={error.code}>
      <div>
        <strong>{titles[error.code]}</strong>
        <p>{error.message}</p>
      </div>
      {!loadError && (
        <button type="button" className="icon-button" onClick={dismiss} aria-label="Dismiss">
          <CloseIcon size={16} />
        </button>
      )}
    </div>
  );
}
