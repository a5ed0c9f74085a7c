/** useStatus(): the mount's StatusMessage from the shared status socket, reconnecting until unmount. */
import { useEffect, useState } from 'preact/hooks';
import type { StatusErrorMessage, StatusMessage } from '../shared/protocol.js';
import { connectStatus, type StatusConnection } from '../web/status-client.js';

export interface StatusView {
  /** Newest status; null until the first one arrives. */
  status: StatusMessage | null;
  connection: StatusConnection;
  /** The server refused the request (e.g. MOUNT_INVALID). */
  error: StatusErrorMessage | null;
}

export function useStatus(mount: string | null): StatusView {
  const [status, setStatus] = useState<StatusMessage | null>(null);
  const [connection, setConnection] = useState<StatusConnection>('connecting');
  const [error, setError] = useState<StatusErrorMessage | null>(null);
  useEffect(() => {
    if (mount === null) return;
    const ac = new AbortController();
    connectStatus(
      mount,
      {
        onMessage: (msg) => {
          if (msg.type === 'status') {
            setStatus(msg);
            setError(null);
          } else {
            setError(msg);
          }
        },
        onConnection: setConnection,
      },
      ac.signal,
    );
    return () => ac.abort();
  }, [mount]);
  return { status, connection, error };
}
