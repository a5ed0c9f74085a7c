/**
 * A private channel's join link, for the QR code and the share link: once the broadcast is live (the
 * key is known to be right, so this never counts as a wrong key), the key pre-flight answers with it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { KeyCheck } from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import { REQUEST_TIMEOUT_MS, timeoutSignal } from './http.js';

export function useJoinPath(mount: string, streamKey: string, live: boolean): string | null {
  const [joinPath, setJoinPath] = useState<string | null>(null);
  useEffect(() => {
    setJoinPath(null);
    if (!live || !streamKey) return;
    const ac = new AbortController();
    fetch(paths.ingestCheck(mount), {
      method: 'POST',
      headers: { authorization: `Bearer ${streamKey}` },
      signal: timeoutSignal(ac.signal, REQUEST_TIMEOUT_MS),
    })
      .then((res) => (res.ok ? (res.json() as Promise<KeyCheck>) : null))
      .then(
        (check) => {
          if (!ac.signal.aborted) setJoinPath(check?.joinPath ?? null);
        },
        () => {},
      );
    return () => ac.abort();
  }, [mount, streamKey, live]);
  return joinPath;
}
