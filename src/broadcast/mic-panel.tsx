/** Microphone picker, input level meter (before and during the broadcast) and mute. */
import type { Microphone } from './use-devices.js';

export interface MicPanelProps {
  mics: Microphone[];
  deviceId: string;
  onDevice(deviceId: string): void;
  /** 0..1; null when no microphone is open. */
  level: number | null;
  live: boolean;
  testing: boolean;
  onTest(): void;
  muted: boolean;
  onMute(): void;
}

export function MicPanel(p: MicPanelProps) {
  const pct = Math.round((p.level ?? 0) * 100);
  return (
    <section class="mic" aria-label="Microphone">
      <h2>Microphone</h2>
      <label for="mic">Input</label>
      <select
        id="mic"
        value={p.deviceId}
        disabled={p.live}
        onChange={(e) => p.onDevice(e.currentTarget.value)}
      >
        <option value="">Default microphone</option>
        {p.mics.map((m) => (
          <option key={m.deviceId} value={m.deviceId}>
            {m.label}
          </option>
        ))}
      </select>
      <div class={p.muted ? 'level level--muted' : 'level'} aria-hidden="true">
        <div class="level__bar" style={{ width: `${pct}%` }} />
      </div>
      <meter
        id="level"
        class="sr-only"
        aria-label="Input level"
        min={0}
        max={1}
        low={0.2}
        high={0.9}
        optimum={0.6}
        value={p.level ?? 0}
        data-level={p.level === null ? '' : p.level.toFixed(3)}
      >
        {pct}%
      </meter>
      <div class="buttons">
        {!p.live && (
          <button id="test-mic" type="button" class="secondary" onClick={p.onTest} aria-pressed={p.testing}>
            {p.testing ? 'Stop the test' : 'Test microphone'}
          </button>
        )}
        {p.live && (
          <button
            id="mute"
            type="button"
            class={p.muted ? 'secondary mute on' : 'secondary mute'}
            onClick={p.onMute}
            aria-pressed={p.muted}
          >
            {p.muted ? 'Unmute' : 'Mute'}
          </button>
        )}
      </div>
      {p.muted && (
        <p id="muted-note" class="note" role="status">
          Muted: listeners hear silence.
        </p>
      )}
    </section>
  );
}
