import { useRegisterSW } from 'virtual:pwa-register/react';
import './update-prompt.css';

/** A deployed app is checked for a new version this often while it stays open. */
const updateCheckMs = 60 * 60 * 1000;

/**
 * Registers the service worker and, when a new version has been installed beside the running one,
 * offers to reload into it; the new worker never takes over a page on its own (registerType 'prompt'),
 * so an answer being generated is not cut off by a reload.
 */
export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisteredSW(_url, registration) {
      if (registration) setInterval(() => void registration.update().catch(() => undefined), updateCheckMs);
    },
  });
  if (!needRefresh && !offlineReady) return null;
  return (
    <div className="pwa-toast" role="status" data-testid="update-prompt">
      <span>{needRefresh ? 'A new version of Glimpse is ready.' : 'Glimpse now works offline.'}</span>
      {needRefresh && (
        <button type="button" className="pwa-toast-primary" onClick={() => void updateServiceWorker(true)}>
          Reload to update
        </button>
      )}
      <button
        type="button"
        onClick={() => {
          setNeedRefresh(false);
          setOfflineReady(false);
        }}
      >
        {needRefresh ? 'Later' : 'OK'}
      </button>
    </div>
  );
}
