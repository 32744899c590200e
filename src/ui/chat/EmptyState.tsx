import { useAppState } from '../app-context';
import { SparkIcon } from '../icons';
import { FirstRun } from '../model/FirstRun';
import { presets } from './presets';

/** The first screen of a chat: what the app does, and the three kinds of question to start from. */
export function EmptyState() {
  const setDraft = useAppState((s) => s.setDraft);
  const hasImage = useAppState((s) => s.attachments.length > 0);
  // Nothing chosen, nothing cached: the first step is choosing a model, not a question.
  const noModel = useAppState((s) => s.load.modelId === undefined && s.catalog.length > 0);
  // Until the model list arrives it is not known whether the first-run block goes above the ideas: they
  // wait for it, rather than show at once and then jump down under it.
  const settled = useAppState((s) => s.catalog.length > 0 || s.load.modelId !== undefined);
  return (
    <div className="empty">
      <div className="empty-mark" aria-hidden="true">
        <SparkIcon size={28} />
      </div>
      <h2>What's in the picture?</h2>
      <p>
        Add a photo, then ask about it. The model runs on this device: your images and words never leave it.
      </p>
      {noModel && <FirstRun />}
      {settled && (
        <ul className="presets" aria-label="Prompt ideas">
          {presets.map((preset) => (
            <li key={preset.id}>
              <button
                type="button"
                className="preset"
                onClick={() => {
                  setDraft(preset.prompt);
                  document.getElementById('prompt-input')?.focus();
                }}
              >
                <b>{preset.label}</b>
                <span>{preset.prompt}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {settled && !hasImage && (
        <p className="hint">Drop an image anywhere, paste one, or use the image button below.</p>
      )}
    </div>
  );
}
