/** Text shown on the listener page: listener counts, elapsed time, buffer latency. */

/** "1 listening", "3 listening". */
export function listenersText(count: number): string {
  return `${count} listening`;
}

/** Milliseconds as "4:05" or "1:02:03"; negative values (clock skew) read as 0:00. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds of buffer ahead of the playhead as "0.32 s buffered". */
export function latencyText(seconds: number): string {
  return `${seconds.toFixed(2)} s buffered`;
}
