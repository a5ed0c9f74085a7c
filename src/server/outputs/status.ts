/**
 * Status WebSocket (`/ws?mount=<mount>`), one channel of the status feed (`status-feed.ts`, which
 * says when messages go out): a StatusMessage on connect, then each message of the feed; nothing
 * while nothing changes. Dead peers are found by ping/pong (one timer for all sockets) and closed.
 *
 * Clients have nothing to say: each message gets an error reply, more than MAX_CLIENT_MESSAGES in
 * MESSAGE_WINDOW_MS closes the socket with 1008, one over MAX_CLIENT_MESSAGE_BYTES with 1009, and a
 * malformed frame with the code `ws` picks (1002 protocol error, 1007 bad UTF-8). Sockets are capped in
 * total (503 STATUS_FULL) and per address (429 STATUS_ADDRESS_LIMIT), before the upgrade.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { StatusErrorMessage } from '../../shared/protocol.js';
import { isValidMount, paths, statusCloseCode } from '../../shared/protocol.js';
import { ApiError } from '../errors.js';
import { checkOrigin } from '../http/origin.js';
import { replyError } from '../http/raw-reply.js';
import type { Logger } from '../log.js';
import type { StatusChannel, StatusFeed } from './status-feed.js';
import { encodeMessage } from './status-feed.js';

/** Clients send nothing of use: tiny messages only (a bigger one closes the socket with 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 1_024;
/** More client messages than this within MESSAGE_WINDOW_MS close the socket with 1008. */
export const MAX_CLIENT_MESSAGES = 20;
export const MESSAGE_WINDOW_MS = 10_000;
/** Close code for a peer over the message rate (RFC 6455: policy violation). */
export const CLOSE_POLICY = 1008;
/** Refused upgrades are logged once per this interval (with a count of the others). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** A peer whose unsent status backlog exceeds this is closed (status is latest-wins anyway). */
export const MAX_BUFFERED_BYTES = 64 * 1024;

interface Peer {
  ws: WebSocket;
  mount: string;
  alive: boolean;
  /** Arrival times of the client's messages within the last MESSAGE_WINDOW_MS (at most MAX_CLIENT_MESSAGES + 1). */
  messageTimes: number[];
}

export interface StatusServerOptions {
  /** When messages go out, and their bytes. */
  feed: StatusFeed;
  log: Logger;
  pingIntervalMs: number;
  allowedOrigins: readonly string[];
  /** Sockets the server holds at most; more upgrades get 503 STATUS_FULL. */
  maxSockets: number;
  /** Sockets one address holds at most; more upgrades get 429 STATUS_ADDRESS_LIMIT. */
  maxSocketsPerAddress: number;
}

export class StatusServer implements StatusChannel {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private readonly peers = new Map<string, Set<Peer>>();
  private readonly feed: StatusFeed;
  private readonly log: Logger;
  private readonly pingTimer: NodeJS.Timeout;
  private closed = false;

  private readonly allowedOrigins: readonly string[];
  private readonly maxSockets: number;
  private readonly maxSocketsPerAddress: number;
  /** Sockets taken (upgrading or open), in total and per remote address; released when the socket closes. */
  private taken = 0;
  private readonly takenByIp = new Map<string, number>();
  private refusalLoggedAt = 0;
  private refusalsUnlogged = 0;

  constructor(options: StatusServerOptions) {
    this.feed = options.feed;
    this.allowedOrigins = options.allowedOrigins;
    this.maxSockets = options.maxSockets;
    this.maxSocketsPerAddress = options.maxSocketsPerAddress;
    this.log = options.log;
    options.feed.add(this);
    this.pingTimer = setInterval(() => this.heartbeat(), options.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Handles an HTTP upgrade; returns false when the path is not ours (caller rejects it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== paths.status) return false;
    const mount = url.searchParams.get('mount') ?? '';
    if (this.closed) {
      rejectUpgrade(socket, new ApiError('SERVER_CLOSING', 'The server is shutting down.'));
      return true;
    }
    if (!isValidMount(mount)) {
      rejectUpgrade(socket, new ApiError('MOUNT_INVALID', `Invalid mount "${mount.slice(0, 64)}".`));
      return true;
    }
    const refused = checkOrigin(req.headers, this.allowedOrigins);
    if (refused) {
      rejectUpgrade(socket, refused);
      return true;
    }
    const ip = req.socket.remoteAddress ?? '';
    const full = this.take(ip);
    if (full) {
      this.logRefusal(ip, full.code);
      rejectUpgrade(socket, full);
      return true;
    }
    socket.once('close', () => this.release(ip));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, mount));
    return true;
  }

  /** Counts one more socket for `ip`; returns the error to refuse it with when a cap is reached. */
  private take(ip: string): ApiError | null {
    if (this.taken >= this.maxSockets) {
      return new ApiError(
        'STATUS_FULL',
        `The server has ${this.maxSockets} status sockets open, as many as it allows (maxStatusSockets).`,
      );
    }
    const mine = this.takenByIp.get(ip) ?? 0;
    if (mine >= this.maxSocketsPerAddress) {
      return new ApiError(
        'STATUS_ADDRESS_LIMIT',
        `Your address has ${this.maxSocketsPerAddress} status sockets open, as many as one address may (maxStatusSocketsPerAddress).`,
      );
    }
    this.taken++;
    this.takenByIp.set(ip, mine + 1);
    return null;
  }

  /** One log line per REFUSAL_LOG_INTERVAL_MS at most, counting the ones in between: a flood must not flood the log. */
  private logRefusal(ip: string, code: string): void {
    const now = Date.now();
    if (now - this.refusalLoggedAt < REFUSAL_LOG_INTERVAL_MS) {
      this.refusalsUnlogged++;
      return;
    }
    this.log.warn(
      { ip, code, open: this.taken, refusedSinceLastLine: this.refusalsUnlogged },
      'status socket refused',
    );
    this.refusalLoggedAt = now;
    this.refusalsUnlogged = 0;
  }

  private release(ip: string): void {
    this.taken--;
    const mine = (this.takenByIp.get(ip) ?? 1) - 1;
    if (mine <= 0) this.takenByIp.delete(ip);
    else this.takenByIp.set(ip, mine);
  }

  get connections(): number {
    let n = 0;
    for (const set of this.peers.values()) n += set.size;
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const set of this.peers.values()) for (const p of set) p.ws.close(1001, 'server shutting down');
    this.peers.clear();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, mount: string): void {
    const peer: Peer = { ws, mount, alive: true, messageTimes: [] };
    let set = this.peers.get(mount);
    if (!set) {
      set = new Set();
      this.peers.set(mount, set);
    }
    set.add(peer);
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('message', () => this.onMessage(peer));
    ws.on('error', (err) => this.log.debug({ err, mount }, 'status socket error'));
    ws.on('close', () => {
      set.delete(peer);
      if (set.size === 0 && this.peers.get(mount) === set) this.peers.delete(mount);
    });
    this.sendTo(peer, this.feed.current(mount));
  }

  /** A client message: there is nothing to ask, so say so, and close a peer that keeps on. */
  private onMessage(peer: Peer): void {
    if (peer.ws.readyState !== peer.ws.OPEN) return;
    const now = Date.now();
    const times = peer.messageTimes;
    times.push(now);
    while (times.length > 0 && (times[0] as number) <= now - MESSAGE_WINDOW_MS) times.shift();
    if (times.length > MAX_CLIENT_MESSAGES) {
      this.log.warn({ mount: peer.mount, messages: times.length }, 'status socket closed: too many messages');
      peer.ws.close(
        CLOSE_POLICY,
        `Too many messages: more than ${MAX_CLIENT_MESSAGES} in ${MESSAGE_WINDOW_MS / 1000} s`,
      );
      return;
    }
    const reply: StatusErrorMessage = {
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'The status socket takes no messages; this one was ignored.',
    };
    this.sendTo(peer, encodeMessage(reply));
  }

  /**
   * Closes every status socket of `mount` for `err`: an error message, then the close code
   * `statusCloseCode(err.code)` with the code as reason. Returns how many were closed.
   */
  closeMount(mount: string, err: ApiError): number {
    const set = this.peers.get(mount);
    if (!set) return 0;
    const message: StatusErrorMessage = { type: 'error', code: err.code, message: err.message };
    for (const p of set) {
      this.sendTo(p, encodeMessage(message));
      p.ws.close(statusCloseCode(err.code), err.code);
    }
    return set.size;
  }

  watchers(mount: string): number {
    return this.peers.get(mount)?.size ?? 0;
  }

  send(mount: string, json: Buffer): void {
    const set = this.peers.get(mount);
    if (set) for (const p of set) this.sendTo(p, json);
  }

  private sendTo(peer: Peer, message: Buffer): void {
    if (peer.ws.readyState !== peer.ws.OPEN) return;
    if (peer.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      peer.ws.terminate();
      return;
    }
    peer.ws.send(message, TEXT_FRAME);
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

/** Send options: the bytes are a text frame (JSON), never compressed. */
const TEXT_FRAME = { binary: false, compress: false } as const;

/** Answers a refused upgrade with the error's HTTP status and JSON body, and closes the socket. */
export function rejectUpgrade(socket: Duplex, err: ApiError): void {
  replyError(socket, err, { version: '1.1' });
}
