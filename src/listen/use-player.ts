/** usePlayer(): runs the player while `run` is true and reports its phase; each new `sessionKey` restarts it. */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StatusMessage, StreamFormat } from '../shared/protocol.js';
import type { PauseReason } from './element.js';
import { type PlayerEvent, runPlayer } from './player.js';
import type { PlayerError } from './player-error.js';
import type { StallReason } from './progress-watchdog.js';

export type PlayerView =
  | { phase: 'idle' }
  | { phase: 'connecting' }
  | { phase: 'playing' }
  | { phase: 'paused'; reason: PauseReason }
  | { phase: 'stalled'; reason: StallReason }
  | { phase: 'retrying'; error: PlayerError | null }
  | { phase: 'failed'; error: PlayerError };

const IDLE: PlayerView = { phase: 'idle' };

function toView(event: PlayerEvent): PlayerView {
  switch (event.type) {
    case 'connecting':
      return { phase: 'connecting' };
    case 'playing':
      return { phase: 'playing' };
    case 'paused':
      return { phase: 'paused', reason: event.reason };
    case 'stalled':
      return { phase: 'stalled', reason: event.reason };
    case 'retrying':
      return { phase: 'retrying', error: event.error };
    case 'failed':
      return { phase: 'failed', error: event.error };
  }
}

export function usePlayer(
  audioRef: RefObject<HTMLAudioElement>,
  mount: string | null,
  run: boolean,
  sessionKey: string,
  /** The status the stream carries, null when no stream carries it (see PlayerOptions.onStatus). */
  onStatus?: (status: StatusMessage | null) => void,
  /** What the source sends (the status's `format`). */
  format?: StreamFormat,
  /** The source's delivery interval from the latest status (ms), read by the running player. */
  sourceIntervalMs: number | null = null,
): PlayerView {
  const [view, setView] = useState<PlayerView>(IDLE);
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;
  const intervalRef = useRef(sourceIntervalMs);
  intervalRef.current = sourceIntervalMs;
  useEffect(() => {
    const audio = audioRef.current;
    if (!run || mount === null || !audio) {
      setView(IDLE);
      return;
    }
    const ac = new AbortController();
    void runPlayer({
      audio,
      mount,
      format,
      signal: ac.signal,
      onStatus: (status) => onStatusRef.current?.(status),
      sourceIntervalMs: () => intervalRef.current,
      onEvent: (event) => {
        // 'connecting' after a retry keeps an earlier 'paused' visible (the listener still has to tap),
        // and an earlier "Reconnecting…" (it is still reconnecting) until audio plays again.
        setView((prev) =>
          event.type === 'connecting' &&
          (prev.phase === 'paused' || (prev.phase === 'retrying' && prev.error !== null))
            ? prev
            : toView(event),
        );
      },
    });
    return () => {
      ac.abort();
      onStatusRef.current?.(null);
    };
  }, [audioRef, mount, run, sessionKey, format]);
  return view;
}
