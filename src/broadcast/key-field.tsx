/** Stream key input: a password field with a show/hide toggle. */
import { useState } from 'preact/hooks';

export interface KeyFieldProps {
  value: string;
  onChange(value: string): void;
  disabled: boolean;
}

export function KeyField({ value, onChange, disabled }: KeyFieldProps) {
  const [shown, setShown] = useState(false);
  return (
    <div class="field">
      <label for="key">Stream key</label>
      <div class="key-row">
        <input
          id="key"
          name="key"
          type={shown ? 'text' : 'password'}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
          disabled={disabled}
          autocomplete="current-password"
          autocapitalize="off"
          spellcheck={false}
          aria-describedby="key-hint"
        />
        <button
          id="show-key"
          type="button"
          class="secondary"
          aria-pressed={shown}
          aria-controls="key"
          onClick={() => setShown((s) => !s)}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
      </div>
      <p id="key-hint" class="hint">
        Printed by the onair server when it starts, and saved in <code>data/stream-key</code>. This browser
        remembers it.
      </p>
    </div>
  );
}
