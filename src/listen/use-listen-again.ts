/** useListenAgain(): while the channel is OFFLINE, how many past broadcasts its listen-again page has. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchListenAgain } from '../web/listen-again.js';
import { sleep } from '../web/wait.js';

/**
 * A broadcast that just ended is listed once its recording is finalised, a moment after the OFFLINE:
 * the list is asked again this often, this many times, until it grows.
 */
const FINALISED_POLL_MS = 1_000;
const FINALISED_POLLS = 5;

/**
 * Past broadcasts of `mount` while `offline` (0 when none, or not offered). Asked once per OFFLINE
 * spell; after a broadcast this page saw end, asked again until its recording shows.
 */
export function useListenAgain(mount: string | null, offline: boolean, live: boolean): number {
  const [count, setCount] = useState(0);
  const sawLive = useRef(false);
  if (live) sawLive.current = true;
  useEffect(() => {
    if (!offline || mount === null) return;
    const ac = new AbortController();
    const justEnded = sawLive.current;
    sawLive.current = false;
    const run = async (): Promise<void> => {
      let before = -1;
      for (let i = 0; i <= (justEnded ? FINALISED_POLLS : 0); i++) {
        if (i > 0) await sleep(FINALISED_POLL_MS, ac.signal);
        const r = await fetchListenAgain(mount, ac.signal);
        if (!r.ok) return; // not offered (404), not allowed (403), or unreachable: no link
        setCount(r.list.recordings.length);
        if (before >= 0 && r.list.recordings.length > before) return;
        before = r.list.recordings.length;
      }
    };
    run().catch(() => {}); // aborted: live again, or the page is going away
    return () => ac.abort();
  }, [mount, offline]);
  return offline ? count : 0;
}
