/** Hook: this mount's status socket (listener count, server byte count), open while the page is. */
import { useEffect, useState } from 'preact/hooks';
import type { StatusMessage } from '../shared/protocol.js';
import type { StatusConnection } from '../web/status-client.js';
import { connectStatus } from '../web/status-client.js';

export interface StatusView {
  /** Latest status for the mount, or null before the first one. */
  status: StatusMessage | null;
  connection: StatusConnection;
}

/** Keeps the status socket open for `mount`; `onStatus` also sees every status message as it comes. */
export function useStatus(mount: string, onStatus: (msg: StatusMessage) => void): StatusView {
  const [view, setView] = useState<StatusView>({ status: null, connection: 'connecting' });
  useEffect(() => {
    const ac = new AbortController();
    connectStatus(
      mount,
      {
        onMessage: (msg) => {
          if (msg.type !== 'status' || msg.mount !== mount) return;
          onStatus(msg);
          setView((v) => ({ ...v, status: msg }));
        },
        onConnection: (connection) => setView((v) => ({ ...v, connection })),
      },
      ac.signal,
    );
    return () => ac.abort();
    // `onStatus` is deliberately not a dependency: reconnecting on every render would be wrong, so it must
    // only use refs and stable objects.
  }, [mount]);
  return view;
}
