import { defaultModelId } from '../../state/catalog';
import { type CatalogEntry, currentDevice, type HubEntry, type ServedEntry } from '../../state/models-slice';
import { useActions, useAppState } from '../app-context';
import { decimalBytes, deviceLabels, planSize } from './download-size';
import { SpeedEstimate } from './SpeedEstimate';

/**
 * The first screen when no model is loaded and none is cached: the registry's default recommended with its
 * download size on this device and its licence, one button that starts the download, the other Hub models
 * beside it, and the test packages apart, each marked as a test model.
 */
export function FirstRun() {
  const catalog = useAppState((s) => s.catalog);
  const device = useAppState(currentDevice);
  const addCatalogEntry = useAppState((s) => s.addCatalogEntry);
  const actions = useActions();
  const hub = catalog.filter((entry): entry is HubEntry => entry.kind === 'hub');
  const recommended = hub.find((entry) => entry.id === defaultModelId);
  const others = hub.filter((entry) => entry !== recommended);
  const tests = catalog.filter(
    (entry): entry is ServedEntry => entry.kind === 'served' && entry.test !== undefined,
  );

  function load(entry: CatalogEntry) {
    addCatalogEntry(entry);
    void actions.loadModel(entry.id);
  }

  const size = (entry: HubEntry) => {
    const plan = entry.plans[device];
    return plan ? planSize(plan) : 'size unknown';
  };

  return (
    <section className="first-run" data-testid="first-run" aria-label="Choose a model">
      {recommended && (
        <div className="first-run-recommended">
          <h2>Recommended: {recommended.label}</h2>
          <p className="first-run-repo">{recommended.id}</p>
          <dl className="hub-facts">
            <dt>Download</dt>
            <dd data-testid="first-run-size">
              {size(recommended)} for {deviceLabels[device]}
            </dd>
            <dt>Licence</dt>
            <dd data-testid="first-run-licence">{recommended.licence}</dd>
            <SpeedEstimate entry={recommended} />
          </dl>
          <button
            type="button"
            className="button-primary"
            data-testid="first-run-download"
            onClick={() => load(recommended)}
          >
            Download {recommended.label} ({size(recommended)})
          </button>
          <p className="hint">The files stay in this browser, so the next visit starts offline.</p>
        </div>
      )}
      {others.length > 0 && (
        <div className="first-run-list">
          <h3>Other models from the Hugging Face Hub</h3>
          <ul>
            {others.map((entry) => (
              <li key={entry.id}>
                <span>
                  <b>{entry.label}</b> · {size(entry)}
                  {entry.licence ? ` · ${entry.licence}` : ''}
                </span>
                <button type="button" className="button-secondary" onClick={() => load(entry)}>
                  Download
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {tests.length > 0 && (
        <div className="first-run-list first-run-tests" data-testid="first-run-tests">
          <h3>Test models</h3>
          <p className="hint">Tiny packages for testing Glimpse itself, not for real questions.</p>
          <ul>
            {tests.map((entry) => (
              <li key={entry.id}>
                <span>
                  <b>{entry.id}</b> · {decimalBytes(entry.sizeBytes)} · test model
                  {entry.test?.note ? `: ${entry.test.note}` : ''}
                </span>
                <button type="button" className="button-secondary" onClick={() => load(entry)}>
                  Load
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
