/** useListenAgain(): while the channel is OFFLINE, how many past broadcasts its listen-again page has. */
import { useEffect, useState } from 'preact/hooks';
import { fetchListenAgain } from '../web/listen-again.js';

/** Past broadcasts of `mount` while `offline` (asked once per OFFLINE spell); 0 when none or not offered. */
export function useListenAgain(mount: string | null, offline: boolean): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!offline || mount === null) return;
    const ac = new AbortController();
    fetchListenAgain(mount, ac.signal).then(
      (r) => setCount(r.ok ? r.list.recordings.length : 0),
      () => {}, // aborted: live again, or the page is going away
    );
    return () => ac.abort();
  }, [mount, offline]);
  return offline ? count : 0;
}
