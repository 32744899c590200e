import { type ReactNode, useId } from 'react';
import type { GenerationDefaults } from '../../engine/types';
import { useAppState } from '../app-context';
import { CloseIcon } from '../icons';

type NumberOption = keyof GenerationDefaults | 'seed';

interface OptionControl {
  readonly key: NumberOption;
  readonly label: string;
  readonly hint: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** The generation options offered, with the ranges offered; a value outside is clamped, never rejected. */
const OPTIONS: readonly OptionControl[] = [
  {
    key: 'temperature',
    label: 'Temperature',
    hint: '0 always picks the likeliest word; higher is more varied.',
    min: 0,
    max: 2,
    step: 0.05,
  },
  {
    key: 'topP',
    label: 'Top-p',
    hint: 'Sample only from the words that make up this share of the probability.',
    min: 0.05,
    max: 1,
    step: 0.05,
  },
  {
    key: 'topK',
    label: 'Top-k',
    hint: 'Sample only from this many likeliest words; 0 puts no limit.',
    min: 0,
    max: 1000,
    step: 1,
  },
  {
    key: 'repetitionPenalty',
    label: 'Repetition penalty',
    hint: 'Above 1 makes words already written less likely.',
    min: 1,
    max: 2,
    step: 0.05,
  },
  {
    key: 'maxNewTokens',
    label: 'Max new tokens',
    hint: 'The longest answer, in tokens.',
    min: 1,
    max: 4096,
    step: 1,
  },
  {
    key: 'seed',
    label: 'Seed',
    hint: 'The same seed, question and settings give the same sampled answer.',
    min: 0,
    max: 2 ** 32 - 1,
    step: 1,
  },
  {
    key: 'draftTokens',
    label: 'Draft tokens',
    hint: 'Earlier words each step also checks; the answer is the same, only faster or slower. 0 is off.',
    min: 0,
    max: 16,
    step: 1,
  },
];

/** An input's number within the option's range; an emptied field gives the option back to the model. */
function optionValue(input: number, option: OptionControl): number | undefined {
  if (Number.isNaN(input)) return undefined;
  const clamped = Math.min(option.max, Math.max(option.min, input));
  return Number.isInteger(option.step) ? Math.round(clamped) : clamped;
}

export function SettingsPanel({ onClose }: { readonly onClose: () => void }) {
  const settings = useAppState((s) => s.settings);
  const defaults = useAppState((s) => s.load.info?.defaults);
  const update = useAppState((s) => s.updateSettings);
  const reset = useAppState((s) => s.resetSettings);
  const promptId = useId();
  return (
    <section className="panel settings" aria-label="Settings">
      <header className="panel-header">
        <h2>Settings</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close settings">
          <CloseIcon size={18} />
        </button>
      </header>
      {OPTIONS.map((option) => {
        const fallback = option.key === 'seed' ? undefined : defaults?.[option.key];
        return (
          <Field
            key={option.key}
            label={option.label}
            hint={`${option.hint} Default: ${fallback ?? (option.key === 'seed' ? 'random' : 'the model’s')}.`}
          >
            {(id) => (
              <input
                id={id}
                type="number"
                min={option.min}
                max={option.max}
                step={option.step}
                value={settings[option.key] ?? ''}
                placeholder={fallback === undefined ? '' : String(fallback)}
                onChange={(event) =>
                  update({ [option.key]: optionValue(event.target.valueAsNumber, option) })
                }
              />
            )}
          </Field>
        );
      })}
      <div className="field">
        <label htmlFor={promptId}>System prompt</label>
        <textarea
          id={promptId}
          rows={4}
          value={settings.systemPrompt}
          placeholder="The model's default"
          onChange={(event) => update({ systemPrompt: event.target.value })}
        />
        <small>Applies to new conversations.</small>
      </div>
      <button type="button" className="text-button" onClick={reset}>
        Restore defaults
      </button>
    </section>
  );
}

function Field({
  label,
  hint,
  children,
}: {
  readonly label: string;
  readonly hint: string;
  readonly children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      <small>{hint}</small>
    </div>
  );
}
