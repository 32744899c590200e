import { liveFigures } from '../../state/conversations-slice';
import { useAppState } from '../app-context';
import { formatMs } from '../format';

/** Time to first token and tokens/s of the answer being streamed. */
export function LiveFigures() {
  const generation = useAppState((s) => s.generation);
  if (!generation) return null;
  const { ttftMs, tokensPerSecond } = liveFigures(generation);
  return (
    <output className="live-figures" data-testid="live-figures" aria-live="off">
      <span>
        First token <b>{ttftMs === undefined ? '…' : formatMs(ttftMs)}</b>
      </span>
      <span>
        <b>{tokensPerSecond === undefined ? '…' : tokensPerSecond.toFixed(1)}</b> tok/s
      </span>
    </output>
  );
}
