import { type FormEvent, useState } from 'react';
import type { DeviceClass } from '../../engine/model/files';
import { findEnteredModel } from '../../state/catalog';
import { GlimpseError } from '../../state/errors';
import type { HubEntry } from '../../state/models-slice';
import { ModalDialog } from '../ModalDialog';
import { deviceLabels, planSizeInWords } from './download-size';

/** What the dialog asks: to confirm a Hub model's download, or for a repository or mirror to download. */
export type HubQuestion = { readonly kind: 'confirm'; readonly entry: HubEntry } | { readonly kind: 'enter' };

interface Props {
  readonly question: HubQuestion;
  readonly device: DeviceClass;
  readonly onConfirm: (entry: HubEntry) => void;
  readonly onCancel: () => void;
}

/**
 * A modal that shows what a Hub model downloads on this device and asks before anything is fetched. An
 * entered location is first listed (or, a plain folder, sized), so its size is known before the question.
 */
export function HubDialog({ question, device, onConfirm, onCancel }: Props) {
  const [entry, setEntry] = useState(question.kind === 'confirm' ? question.entry : undefined);

  return (
    <ModalDialog className="hub-dialog" testId="hub-dialog" labelledBy="hub-dialog-title" onClose={onCancel}>
      {entry ? (
        <Confirmation entry={entry} device={device} onConfirm={() => onConfirm(entry)} onCancel={onCancel} />
      ) : (
        <LocationForm device={device} onFound={setEntry} onCancel={onCancel} />
      )}
    </ModalDialog>
  );
}

function Confirmation({
  entry,
  device,
  onConfirm,
  onCancel,
}: {
  readonly entry: HubEntry;
  readonly device: DeviceClass;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const plan = entry.plans[device];
  return (
    <div className="hub-dialog-body">
      <h3 id="hub-dialog-title">{entry.label}</h3>
      <p className="hub-dialog-repo">{entry.id}</p>
      <dl className="hub-facts">
        {entry.licence && (
          <>
            <dt>Licence</dt>
            <dd data-testid="hub-licence">{entry.licence}</dd>
          </>
        )}
        <dt>Runs on</dt>
        <dd>{deviceLabels[device]}</dd>
        {plan && (
          <>
            <dt>Files</dt>
            <dd className="hub-files">
              {plan.files.map((file) => file.path.replace(/^onnx\//, '')).join(', ')}
            </dd>
          </>
        )}
      </dl>
      {entry.notes.length > 0 && (
        <ul className="hub-notes">
          {entry.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      <p className="hub-question" data-testid="hub-question">
        {plan
          ? `This downloads ${planSizeInWords(plan)} — continue?`
          : 'The download size for this device is unknown — continue?'}
      </p>
      <p className="hub-hint">Downloaded files stay in this browser, so the next load is offline.</p>
      <div className="hub-actions">
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button-primary" data-testid="hub-confirm" onClick={onConfirm}>
          Download
        </button>
      </div>
    </div>
  );
}

function LocationForm({
  device,
  onFound,
  onCancel,
}: {
  readonly device: DeviceClass;
  readonly onFound: (entry: HubEntry) => void;
  readonly onCancel: () => void;
}) {
  const [text, setText] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();

  async function check(event: FormEvent) {
    event.preventDefault();
    setChecking(true);
    setProblem(undefined);
    try {
      onFound(await findEnteredModel(text, device, window.location.origin));
    } catch (err) {
      setProblem(GlimpseError.from(err).message);
    } finally {
      setChecking(false);
    }
  }

  return (
    <form className="hub-dialog-body" onSubmit={(event) => void check(event)}>
      <h3 id="hub-dialog-title">Another model</h3>
      <label className="hub-field">
        <span>Any repository id or mirror URL</span>
        <input
          data-testid="hub-location"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="owner/name, owner/name@revision or https://…"
          spellCheck={false}
          autoComplete="off"
          required
        />
      </label>
      <p className="hub-hint">
        It needs the Hugging Face layout: config and tokenizer files beside an onnx/ folder with
        vision_encoder, embed_tokens and decoder_model_merged.
      </p>
      {problem && (
        <p className="hub-problem" role="alert" data-testid="hub-problem">
          {problem}
        </p>
      )}
      <div className="hub-actions">
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button-primary" data-testid="hub-check" disabled={checking}>
          {checking ? 'Checking…' : 'Check size'}
        </button>
      </div>
    </form>
  );
}
