/** The channel (mount) this page broadcasts to: shown, and changeable while not live. */
import { useEffect, useState } from 'preact/hooks';
import { isValidMount } from '../shared/protocol.js';

export function MountField({
  mount,
  disabled,
  onChange,
}: {
  mount: string;
  disabled: boolean;
  onChange(mount: string): void;
}) {
  const [draft, setDraft] = useState(mount);
  useEffect(() => setDraft(mount), [mount]);
  const name = draft.trim().toLowerCase();
  const valid = isValidMount(name);
  return (
    <form
      class="mount"
      aria-label="Channel"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid && name !== mount) onChange(name);
      }}
    >
      <label for="mount-name">Channel</label>
      <input
        id="mount-name"
        type="text"
        value={draft}
        disabled={disabled}
        spellcheck={false}
        autocomplete="off"
        aria-invalid={!valid}
        aria-describedby="mount-help"
        onInput={(e) => setDraft(e.currentTarget.value)}
      />
      <button id="mount-use" type="submit" class="secondary" disabled={disabled || !valid || name === mount}>
        Use
      </button>
      <strong id="mount" class="sr-only">
        {mount}
      </strong>
      <span id="mount-help" class="hint">
        {valid ? 'Each channel has its own listener link.' : 'Lower-case letters, digits, - and _ only.'}
      </span>
    </form>
  );
}
