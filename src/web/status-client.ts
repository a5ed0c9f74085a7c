/** Status socket client shared by both pages: reconnects with capped backoff until aborted. */
import type { ServerMessage } from '../shared/protocol.js';
import { parseServerMessage, paths } from '../shared/protocol.js';
import { Backoff } from './backoff.js';

export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 5_000;

export type StatusConnection = 'connecting' | 'open' | 'closed';

export interface StatusHandlers {
  onMessage(msg: ServerMessage): void;
  onConnection?(state: StatusConnection): void;
}

/** URL of the status socket for `mount`, on the same origin as the page. */
export function statusUrl(mount: string, loc: Location = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${paths.status}?mount=${encodeURIComponent(mount)}`;
}

/**
 * Keeps one status socket open for `mount` until `signal` aborts. Malformed messages are ignored;
 * a dropped socket is reopened after RECONNECT_MIN_MS, doubling up to RECONNECT_MAX_MS.
 */
export function connectStatus(mount: string, handlers: StatusHandlers, signal: AbortSignal): void {
  const backoff = new Backoff(RECONNECT_MIN_MS, RECONNECT_MAX_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let socket: WebSocket | undefined;

  const open = (): void => {
    if (signal.aborted) return;
    handlers.onConnection?.('connecting');
    const ws = new WebSocket(statusUrl(mount));
    socket = ws;
    ws.onopen = () => {
      backoff.reset();
      handlers.onConnection?.('open');
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      const msg = parseServerMessage(ev.data);
      if (msg) handlers.onMessage(msg);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      if (signal.aborted) return;
      handlers.onConnection?.('closed');
      timer = setTimeout(open, backoff.next());
    };
  };

  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      const ws = socket;
      socket = undefined;
      ws?.close(1000, 'page closed');
    },
    { once: true },
  );
  open();
}
