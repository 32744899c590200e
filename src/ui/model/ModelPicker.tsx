import { useRef, useState } from 'react';
import { folderEntry } from '../../state/catalog';
import { GlimpseError } from '../../state/errors';
import { type CatalogEntry, currentDevice, type HubEntry, type ServedEntry } from '../../state/models-slice';
import { canPickDirectory, folderFromInput, type PickedFolder, pickDirectory } from '../../state/pick-folder';
import { formatBytes } from '../../state/stored-models';
import { useActions, useAppState } from '../app-context';
import { planSize } from './download-size';
import { HubDialog, type HubQuestion } from './HubDialog';
import './model-picker.css';

const ENTER_LOCATION = '#enter-location';
const PICK_FOLDER = '#pick-folder';

/**
 * The model list: packages this app serves, the registry's Hub models with their download size on this
 * device, folders picked on this computer, and two ways to add one. A Hub model asks before it downloads.
 */
export function ModelPicker() {
  const catalog = useAppState((s) => s.catalog);
  const selected = useAppState((s) => s.selectedModelId);
  const generating = useAppState((s) => s.generation !== undefined);
  // The device the last load ran on (or, before one, probed at start): it decides which files a Hub model needs.
  const device = useAppState(currentDevice);
  const addCatalogEntry = useAppState((s) => s.addCatalogEntry);
  const showError = useAppState((s) => s.showError);
  const actions = useActions();
  const [question, setQuestion] = useState<HubQuestion | undefined>();
  const folderInput = useRef<HTMLInputElement>(null);

  const packages = catalog.filter((entry): entry is ServedEntry => entry.kind === 'served');
  const served = packages.filter((entry) => entry.test === undefined);
  const tests = packages.filter((entry) => entry.test !== undefined);
  const hub = catalog.filter((entry) => entry.kind === 'hub');
  const folders = catalog.filter((entry) => entry.kind === 'folder');

  function load(entry: CatalogEntry) {
    addCatalogEntry(entry);
    void actions.loadModel(entry.id);
  }

  function loadFolder(folder: PickedFolder | undefined) {
    if (folder && folder.files.length > 0) load(folderEntry(folder.name, folder.files));
  }

  function choose(value: string) {
    if (value === ENTER_LOCATION) return setQuestion({ kind: 'enter' });
    if (value === PICK_FOLDER) {
      if (!canPickDirectory()) return folderInput.current?.click();
      return void pickDirectory()
        .then(loadFolder)
        .catch((err: unknown) => showError(GlimpseError.from(err).toObject()));
    }
    const entry = catalog.find((candidate) => candidate.id === value);
    if (entry?.kind === 'hub') return setQuestion({ kind: 'confirm', entry });
    void actions.loadModel(value);
  }

  function confirm(entry: HubEntry) {
    setQuestion(undefined);
    load(entry);
  }

  return (
    <div className="model-picker">
      <label>
        <span className="visually-hidden">Model</span>
        <select
          data-testid="model-picker"
          value={selected ?? ''}
          disabled={generating}
          onChange={(event) => choose(event.target.value)}
        >
          {selected === undefined && (
            <option value="" disabled>
              {catalog.length === 0 ? 'No models' : 'Choose a model'}
            </option>
          )}
          {served.length > 0 && (
            <optgroup label="On this server">
              {served.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.id} · {formatBytes(entry.sizeBytes)}
                </option>
              ))}
            </optgroup>
          )}
          {hub.length > 0 && (
            <optgroup label="Hugging Face Hub (asks before downloading)">
              {hub.map((entry) => {
                const plan = entry.plans[device];
                return (
                  <option key={entry.id} value={entry.id}>
                    {entry.label} · {plan ? planSize(plan) : 'size unknown'}
                    {entry.licence ? ` · ${entry.licence}` : ''}
                  </option>
                );
              })}
            </optgroup>
          )}
          {tests.length > 0 && (
            <optgroup label="Test models (not for real questions)">
              {tests.map((entry) => (
                <option key={entry.id} value={entry.id} title={entry.test?.note}>
                  {entry.id} · {formatBytes(entry.sizeBytes)} · test
                  {entry.test?.note ? ` · ${entry.test.note}` : ''}
                </option>
              ))}
            </optgroup>
          )}
          {folders.length > 0 && (
            <optgroup label="On this computer">
              {folders.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.label} · {formatBytes(entry.sizeBytes)}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="More">
            <option value={ENTER_LOCATION}>Other repository or mirror URL…</option>
            <option value={PICK_FOLDER}>Open a model folder…</option>
          </optgroup>
        </select>
      </label>
      <input
        ref={folderInput}
        type="file"
        data-testid="model-folder-input"
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        // React passes unknown lowercase attributes through; this one makes the input pick a folder.
        {...{ webkitdirectory: '' }}
        multiple
        onChange={(event) => {
          loadFolder(event.target.files ? folderFromInput(event.target.files) : undefined);
          event.target.value = '';
        }}
      />
      {question && (
        <HubDialog
          question={question}
          device={device}
          onConfirm={confirm}
          onCancel={() => setQuestion(undefined)}
        />
      )}
    </div>
  );
}
