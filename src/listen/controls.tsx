/** Controls: the Stop/Play toggle and the volume slider bound to the `<audio>` element. */
import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const VOLUME_KEY = 'onair.volume';

function savedVolume(): number {
  try {
    const v = Number(localStorage.getItem(VOLUME_KEY) ?? '1');
    return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1;
  } catch {
    return 1;
  }
}

export interface ControlsProps {
  audioRef: RefObject<HTMLAudioElement>;
  toggle: 'stop' | 'play' | null;
  showVolume: boolean;
  onStop(): void;
  onPlay(): void;
}

export function Controls({ audioRef, toggle, showVolume, onStop, onPlay }: ControlsProps) {
  const [volume, setVolume] = useState(savedVolume);
  useEffect(() => {
    if (audioRef.current) audioRef.current.volume = volume;
  }, [audioRef, volume]);
  const onInput = (ev: Event): void => {
    const v = Number((ev.currentTarget as HTMLInputElement).value);
    setVolume(v);
    try {
      localStorage.setItem(VOLUME_KEY, String(v));
    } catch {
      // Private mode: the volume just is not remembered.
    }
  };
  if (!toggle && !showVolume) return null;
  return (
    <div class="controls">
      {toggle && (
        <button
          id="toggle"
          type="button"
          class={`toggle toggle--${toggle}`}
          onClick={toggle === 'stop' ? onStop : onPlay}
        >
          {toggle === 'stop' ? 'Stop' : 'Play'}
        </button>
      )}
      {showVolume && (
        <label class="volume">
          <span>Volume</span>
          <input id="volume" type="range" min="0" max="1" step="0.05" value={volume} onInput={onInput} />
        </label>
      )}
    </div>
  );
}
