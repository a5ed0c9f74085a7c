/** useAutoplay(): whether playback is armed (autoplay allowed, or the listener tapped once). */
import { useEffect, useState } from 'preact/hooks';
import { detectAutoplay } from './autoplay.js';

export interface AutoplayView {
  /** The detection has finished; before that neither "armed" nor a Tap button is shown. */
  checked: boolean;
  /** Playback may start by itself when the stream is live. */
  armed: boolean;
  /** Arm after a gesture (the caller unlocks the element inside the same handler). */
  arm(): void;
}

export function useAutoplay(): AutoplayView {
  const [checked, setChecked] = useState(false);
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    const ac = new AbortController();
    void detectAutoplay(ac.signal).then((allowed) => {
      if (ac.signal.aborted) return;
      if (allowed) setArmed(true);
      setChecked(true);
    });
    return () => ac.abort();
  }, []);
  return { checked: checked || armed, armed, arm: () => setArmed(true) };
}
