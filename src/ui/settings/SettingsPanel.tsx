import { type ReactNode, useId } from 'react';
import { settingBounds } from '../../state/settings-slice';
import { useAppState } from '../app-context';
import { CloseIcon } from '../icons';

export function SettingsPanel({ onClose }: { readonly onClose: () => void }) {
  const settings = useAppState((s) => s.settings);
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
      <Slider
        label="Temperature"
        hint="0 always picks the likeliest word; higher is more varied."
        value={settings.temperature}
        bounds={settingBounds.temperature}
        format={(v) => v.toFixed(2)}
        onChange={(temperature) => update({ temperature })}
      />
      <Slider
        label="Top-p"
        hint="Sample only from the words that make up this share of the probability."
        value={settings.topP}
        bounds={settingBounds.topP}
        format={(v) => v.toFixed(2)}
        onChange={(topP) => update({ topP })}
      />
      <Field label="Max new tokens" hint="The longest answer, in tokens.">
        {(id) => (
          <input
            id={id}
            type="number"
            min={settingBounds.maxNewTokens.min}
            max={settingBounds.maxNewTokens.max}
            value={settings.maxNewTokens}
            onChange={(event) => update({ maxNewTokens: event.target.valueAsNumber })}
          />
        )}
      </Field>
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

function Slider({
  label,
  hint,
  value,
  bounds,
  format,
  onChange,
}: {
  readonly label: string;
  readonly hint: string;
  readonly value: number;
  readonly bounds: { readonly min: number; readonly max: number; readonly step: number };
  readonly format: (value: number) => string;
  readonly onChange: (value: number) => void;
}) {
  return (
    <Field label={label} hint={hint}>
      {(id) => (
        <div className="slider">
          <input
            id={id}
            type="range"
            min={bounds.min}
            max={bounds.max}
            step={bounds.step}
            value={value}
            onChange={(event) => onChange(event.target.valueAsNumber)}
          />
          <output htmlFor={id}>{format(value)}</output>
        </div>
      )}
    </Field>
  );
}
