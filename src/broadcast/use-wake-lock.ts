/** useWakeLock(): keeps the screen (and so the laptop) awake while `active`, where the browser allows it. */
import { useEffect, useState } from 'preact/hooks';

/** 'held', 'unsupported', or 'refused' (the browser said no, e.g. on battery saver). */
export type WakeLockState = 'off' | 'held' | 'unsupported' | 'refused';

export function useWakeLock(active: boolean): WakeLockState {
  const [state, setState] = useState<WakeLockState>('off');
  useEffect(() => {
    if (!active) {
      setState('off');
      return;
    }
    if (!('wakeLock' in navigator)) {
      setState('unsupported');
      return;
    }
    let sentinel: WakeLockSentinel | null = null;
    let alive = true;
    const acquire = (): void => {
      if (document.visibilityState !== 'visible') return;
      navigator.wakeLock.request('screen').then(
        (s) => {
          if (!alive) {
            void s.release();
            return;
          }
          sentinel = s;
          setState('held');
          s.addEventListener('release', () => {
            if (alive) setState('off');
          });
        },
        () => {
          if (alive) setState('refused');
        },
      );
    };
    // The browser releases the lock when the tab is hidden: take it again when it comes back.
    const onVisible = (): void => {
      if (document.visibilityState === 'visible' && sentinel?.released !== false) acquire();
    };
    acquire();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      alive = false;
      document.removeEventListener('visibilitychange', onVisible);
      void sentinel?.release();
    };
  }, [active]);
  return state;
}
