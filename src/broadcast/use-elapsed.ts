/** Hook: milliseconds from `since` to `until` (or to now, refreshed every ELAPSED_TICK_MS while running). */
import { useEffect, useState } from 'preact/hooks';

/** How often the elapsed display refreshes. */
export const ELAPSED_TICK_MS = 250;

export function useElapsed(since: number | null, until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null || until !== null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ELAPSED_TICK_MS);
    return () => clearInterval(timer);
  }, [since, until]);
  if (since === null) return 0;
  return (until ?? now) - since;
}
