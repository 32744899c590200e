import { answerEstimate } from '../../state/answer-estimate';
import type { HubEntry } from '../../state/models-slice';
import { useAppState } from '../app-context';
import { roughSeconds, roughTokenRate } from './rough-figures';

/**
 * On WebAssembly, what a photo question to `entry` will take on this device, from the worker's measurement:
 * "measuring…" while it runs, nothing if it failed or the model's work is not known, never a constant.
 */
export function SpeedEstimate({ entry }: { readonly entry: HubEntry }) {
  const device = useAppState((s) => s.device);
  const probe = useAppState((s) => s.cpuSpeed);
  if (device !== 'wasm' || probe.status === 'idle' || probe.status === 'failed') return null;
  const estimate = probe.status === 'measured' ? answerEstimate(entry, probe.speed) : undefined;
  if (probe.status === 'measured' && !estimate) return null;
  return (
    <>
      <dt>Speed here</dt>
      <dd data-testid="first-run-estimate" aria-live="polite">
        {estimate
          ? `Estimate from this device's measured speed: the first word of an answer about a photo in ${roughSeconds(
              estimate.firstTokenSeconds,
            )}, then ${roughTokenRate(estimate.decodeTokensPerSecond)}`
          : 'Measuring this device…'}
      </dd>
    </>
  );
}
