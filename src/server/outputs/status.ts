/**
 * Status WebSocket (`/ws?mount=<mount>`): a StatusMessage on connect, at once on every state
 * change, coalesced for listener-count changes, and once a second while live (bytes received).
 * Dead peers are found by ping/pong and closed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { StatusMessage } from '../../shared/protocol.js';
import { isValidMount, paths } from '../../shared/protocol.js';
import type { Hub } from '../hub/hub.js';
import type { MountSnapshot } from '../hub/mount.js';
import type { Logger } from '../log.js';
import { checkOrigin } from '../origin.js';

/** Listener-count changes within this window go out as one message. */
export const COALESCE_MS = 200;
/** While live, a message goes out this often even without a change (bytes received). */
export const LIVE_TICK_MS = 1_000;
/** Clients send nothing of use: tiny messages only. */
export const MAX_CLIENT_MESSAGE_BYTES = 1_024;
/** A peer whose unsent status backlog exceeds this is closed (status is latest-wins anyway). */
export const MAX_BUFFERED_BYTES = 64 * 1024;

export function toStatusMessage(s: MountSnapshot): StatusMessage {
  return {
    type: 'status',
    mount: s.mount,
    state: s.state,
    listeners: s.listeners,
    startedAt: s.startedAt ? s.startedAt.toISOString() : null,
    title: s.title,
    bytesIn: s.bytesIn,
  };
}

interface Peer {
  ws: WebSocket;
  mount: string;
  alive: boolean;
}

export class StatusServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private readonly peers = new Map<string, Set<Peer>>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly hub: Hub;
  private readonly log: Logger;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly tickTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closed = false;

  private readonly allowedOrigins: readonly string[];

  constructor(options: { hub: Hub; log: Logger; pingIntervalMs: number; allowedOrigins: readonly string[] }) {
    this.hub = options.hub;
    this.allowedOrigins = options.allowedOrigins;
    this.log = options.log;
    this.unsubscribe = this.hub.onChange((snap, kind) => {
      if (kind !== 'listeners') this.sendNow(snap.mount);
      else this.sendSoon(snap.mount);
    });
    this.pingTimer = setInterval(() => this.heartbeat(), options.pingIntervalMs);
    this.pingTimer.unref();
    this.tickTimer = setInterval(() => {
      for (const mount of this.peers.keys())
        if (this.hub.snapshot(mount).state === 'live') this.sendNow(mount);
    }, LIVE_TICK_MS);
    this.tickTimer.unref();
  }

  /** Handles an HTTP upgrade; returns false when the path is not ours (caller rejects it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== paths.status) return false;
    const mount = url.searchParams.get('mount') ?? '';
    if (this.closed) {
      rejectUpgrade(socket, 503, 'Server is shutting down');
      return true;
    }
    if (!isValidMount(mount)) {
      rejectUpgrade(socket, 400, `Invalid mount "${mount.slice(0, 64)}"`);
      return true;
    }
    const refused = checkOrigin(req.headers, this.allowedOrigins);
    if (refused) {
      rejectUpgrade(socket, refused.status, refused.message);
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, mount));
    return true;
  }

  get connections(): number {
    let n = 0;
    for (const set of this.peers.values()) n += set.size;
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.pingTimer);
    clearInterval(this.tickTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const set of this.peers.values()) for (const p of set) p.ws.close(1001, 'server shutting down');
    this.peers.clear();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, mount: string): void {
    const peer: Peer = { ws, mount, alive: true };
    let set = this.peers.get(mount);
    if (!set) {
      set = new Set();
      this.peers.set(mount, set);
    }
    set.add(peer);
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('message', () => {
      // Nothing to say to us yet; ignore (size is capped by maxPayload).
    });
    ws.on('error', (err) => this.log.debug({ err: err.message, mount }, 'status socket error'));
    ws.on('close', () => {
      set.delete(peer);
      if (set.size === 0 && this.peers.get(mount) === set) this.peers.delete(mount);
    });
    this.send(peer, JSON.stringify(toStatusMessage(this.hub.snapshot(mount))));
  }

  private sendSoon(mount: string): void {
    if (this.pending.has(mount) || !this.peers.has(mount)) return;
    this.pending.set(
      mount,
      setTimeout(() => this.sendNow(mount), COALESCE_MS),
    );
  }

  private sendNow(mount: string): void {
    const t = this.pending.get(mount);
    if (t) {
      clearTimeout(t);
      this.pending.delete(mount);
    }
    const set = this.peers.get(mount);
    if (!set || set.size === 0) return;
    const text = JSON.stringify(toStatusMessage(this.hub.snapshot(mount)));
    for (const p of set) this.send(p, text);
  }

  private send(peer: Peer, text: string): void {
    if (peer.ws.readyState !== peer.ws.OPEN) return;
    if (peer.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      peer.ws.terminate();
      return;
    }
    peer.ws.send(text);
  }

  private heartbeat(): void {
    for (const set of this.peers.values()) {
      for (const p of set) {
        if (!p.alive) {
          p.ws.terminate();
          continue;
        }
        p.alive = false;
        p.ws.ping();
      }
    }
  }
}

/** Answers a refused upgrade with a plain HTTP status and closes the socket (as ws does). */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const reason: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    404: 'Not Found',
    503: 'Service Unavailable',
  };
  socket.end(
    `HTTP/1.1 ${status} ${reason[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}
