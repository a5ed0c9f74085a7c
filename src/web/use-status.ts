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
 * After a stream carried the status, the socket comes back after a random delay up to this: when a
 * broadcast ends, a hall of pages (which know it is OFFLINE from their streams already) must not all
 * reconnect in the same millisecond.
 */
export const HANDBACK_SPREAD_MS = 3_000;

/**
 * Keeps the status socket of `mount` open (none while `mount` is null); a new mount starts afresh.
 * `onStatus`, when given, also sees every status message of the mount as it comes (the latest
 * `onStatus` passed is the one called, so it may close over render state).
 *
 * `inBand`: the status a playing stream carries (the listener's packets rung). While there is one,
 * the socket is closed and the view is that status: one connection per playing listener, not two.
 * When it goes back to null (the stream ended), the socket reopens, within HANDBACK_SPREAD_MS.
 */
export function useStatus(
  mount: string | null,
  onStatus?: (msg: StatusMessage) => void,
  inBand: StatusMessage | null = null,
): StatusView {
  const [view, setView] = useState<StatusView>(INITIAL);
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;
  const carried = inBand !== null && inBand.mount === mount;
  const wasCarried = useRef(false);
  useEffect(() => {
    setView(INITIAL);
    wasCarried.current = false;
  }, [mount]);
  useEffect(() => {
    if (!carried || !inBand) return;
    wasCarried.current = true;
    onStatusRef.current?.(inBand);
    // Kept as the view's status when the stream ends: the socket takes over from there.
    setView({ status: inBand, connection: 'open', error: null });
  }, [carried, inBand]);
  useEffect(() => {
    if (mount === null || carried) return;
    const ac = new AbortController();
    const start = (): void =>
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
    const timer = wasCarried.current ? setTimeout(start, Math.random() * HANDBACK_SPREAD_MS) : undefined;
    if (!timer) start();
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [mount, carried]);
  return carried && inBand ? { status: inBand, connection: 'open', error: null } : view;
}
