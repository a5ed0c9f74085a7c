/** The stream title listeners see: typed before or during the broadcast, sent when live. */
import { MAX_TITLE_CHARS } from '../shared/protocol.js';

export interface TitleFieldProps {
  value: string;
  onChange(value: string): void;
  live: boolean;
  /** Sends the title now (live only). */
  onSend(): void;
  /** The title the server has, from the status socket. */
  current: string | null;
}

export function TitleField({ value, onChange, live, onSend, current }: TitleFieldProps) {
  return (
    <div class="title-field">
      <label for="title">Title listeners see</label>
      <div class="row">
        <input
          id="title"
          type="text"
          maxLength={MAX_TITLE_CHARS}
          value={value}
          placeholder="e.g. Year 9 assembly"
          onInput={(e) => onChange(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && live) {
              e.preventDefault();
              onSend();
            }
          }}
        />
        {live && (
          <button id="set-title" type="button" class="secondary" onClick={onSend}>
            Update
          </button>
        )}
      </div>
      {live && (
        <p id="title-now" class="note">
          Now: {current ?? '(no title)'}
        </p>
      )}
    </div>
  );
}
