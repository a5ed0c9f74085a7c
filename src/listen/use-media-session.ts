/** useMediaSession(): lock-screen and notification title plus play/stop actions (Media Session API). */
import { useEffect, useRef } from 'preact/hooks';

/** Lock-screen artwork (served by the pages router). */
const ARTWORK: MediaImage[] = [{ src: '/icon.svg', sizes: '512x512', type: 'image/svg+xml' }];

export interface MediaSessionProps {
  active: boolean;
  title: string;
  /** The station: shown under the title on lock screens and notifications. */
  station: string;
  onPlay(): void;
  onStop(): void;
}

export function useMediaSession({ active, title, station, onPlay, onStop }: MediaSessionProps): void {
  const handlers = useRef({ onPlay, onStop });
  handlers.current = { onPlay, onStop };
  useEffect(() => {
    const session = 'mediaSession' in navigator ? navigator.mediaSession : null;
    if (!session || !active) return;
    session.metadata = new MediaMetadata({ title, artist: station, album: 'onair live', artwork: ARTWORK });
    const actions: [MediaSessionAction, () => void][] = [
      ['play', () => handlers.current.onPlay()],
      ['pause', () => handlers.current.onStop()],
      ['stop', () => handlers.current.onStop()],
    ];
    for (const [action, handler] of actions) {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // This browser does not know the action.
      }
    }
    return () => {
      session.metadata = null;
      for (const [action] of actions) {
        try {
          session.setActionHandler(action, null);
        } catch {
          // See above.
        }
      }
    };
  }, [active, title, station]);
}
