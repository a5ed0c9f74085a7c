/** useStatus(): the mount's status from the status socket, reconnecting until unmount; both pages use it. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StatusErrorMessage, StatusMessage } from '../shared/protocol.js';
import { connectStatus, type StatusConnection } from './status-client.js';

export interface StatusView {
  /** Newest status for the mount; null until the first one arrives. */
  status: StatusMessage | null;
  connection: StatusConnection;
  /** The server refused the request (e.g. MOUNT_INVALID); cleared by the next status. */
  error: StatusErrorMessage | null;
}

const INITIAL: StatusView = { status: null, connection: 'connecting', error: null };

/**
 * Keeps the status socket of `mount` open (none while `mount` is null); a new mount starts afresh.
 * `onStatus`, when given, also sees every status message of the mount as it comes (the latest
 * `onStatus` passed is the one called, so it may close over render state).
 */
export function useStatus(mount: string | null, onStatus?: (msg: StatusMessage) => void): StatusView {
  const [view, setView] = useState<StatusView>(INITIAL);
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;
  useEffect(() => {
    setView(INITIAL);
    if (mount === null) return;
    const ac = new AbortController();
    connectStatus(
      mount,
      {
        onMessage: (msg) => {
          if (msg.type !== 'status') {
            setView((v) => ({ ...v, error: msg }));
            return;
          }
          if (msg.mount !== mount) return;
          onStatusRef.current?.(msg);
          setView((v) => ({ ...v, status: msg, error: null }));
        },
        onConnection: (connection) => setView((v) => ({ ...v, connection })),
      },
      ac.signal,
    );
    return () => ac.abort();
  }, [mount]);
  return view;
}
