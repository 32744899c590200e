import { loadFraction, type ModelStatus as Status } from '../../state/models-slice';
import { formatBytes } from '../../state/stored-models';
import { useAppState } from '../app-context';

const labels: Record<Status, string> = {
  idle: 'No model',
  downloading: 'Downloading',
  compiling: 'Compiling',
  'warming-up': 'Warming up',
  ready: 'Ready',
  error: 'Error',
};

/** What the model is doing, with one overall progress figure for the whole load. */
export function ModelStatus() {
  const load = useAppState((s) => s.load);
  const fraction = loadFraction(load);
  const busy = load.status === 'downloading' || load.status === 'compiling' || load.status === 'warming-up';
  const bytes =
    load.totalBytes !== undefined
      ? `${formatBytes(load.loadedBytes)} of ${formatBytes(load.totalBytes)}`
      : load.loadedBytes > 0
        ? formatBytes(load.loadedBytes)
        : '';
  return (
    <div className="model-status" data-state={load.status}>
      <span className="status-dot" aria-hidden="true" />
      <span data-testid="model-status" role="status">
        {labels[load.status]}
      </span>
      {busy && (
        <div className="load-progress-wrap">
          <progress
            data-testid="load-progress"
            max={1}
            value={fraction}
            aria-label={`Loading ${load.modelId ?? 'model'}`}
            aria-valuetext={fraction === undefined ? bytes : `${Math.round(fraction * 100)}% · ${bytes}`}
          />
          <span className="load-figures">
            {fraction === undefined ? bytes : `${Math.round(fraction * 100)}%`}
            {fraction !== undefined && bytes && <span className="load-bytes"> · {bytes}</span>}
          </span>
        </div>
      )}
    </div>
  );
}
