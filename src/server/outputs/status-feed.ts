/**
 * When a mount's status goes out, and in what bytes, for every channel that carries it: the status
 * WebSocket (`status.ts`) and the packet streams that carry status in-band (`packet-status.ts`).
 *
 * A state or title change goes out at once; listener-count changes are coalesced over a window that
 * widens with the mount's audience (all channels counted), so a hall joining at a thousand a second
 * costs a few messages a second, not one per join. Each message is serialised and encoded once for
 * every watcher of its mount; nothing goes out while nothing changes.
 */
import type { StatusMessage } from '../../shared/protocol.js';
import type { Hub } from '../hub/hub.js';
import type { MountSnapshot } from '../hub/types.js';
import { frameFormatOf } from '../mpeg/frames.js';

/** Listener-count changes within this window go out as one message (a small audience)... */
export const COALESCE_MS = 200;
/**
 * ...widened by this much per watcher of the mount, up to MAX_COALESCE_MS: while a hall joins at a
 * thousand a second, counts go out a few times a second at most, so count messages cost at most
 * about 5,000 writes a second however many watch.
 */
export const COALESCE_MS_PER_SOCKET = 0.2;
export const MAX_COALESCE_MS = 2_000;

/** The coalescing window for a mount watched by `watchers` sockets or streams. */
export function coalesceMs(watchers: number): number {
  return Math.min(MAX_COALESCE_MS, COALESCE_MS + watchers * COALESCE_MS_PER_SOCKET);
}

export function toStatusMessage(s: MountSnapshot): StatusMessage {
  const message: StatusMessage = {
    type: 'status',
    mount: s.mount,
    state: s.state,
    listeners: s.listeners,
    startedAt: s.startedAt ? s.startedAt.toISOString() : null,
    title: s.title,
    bytesIn: s.bytesIn,
    ...(s.sourceIntervalMs === null ? {} : { sourceIntervalMs: s.sourceIntervalMs }),
  };
  if (s.state === 'live') message.format = frameFormatOf(s.info.sourceType) ?? 'opus';
  return message;
}

/** A message as UTF-8 JSON bytes, made once and written as they are to every watcher. */
export function encodeMessage(message: object): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/** Something that carries status messages to the watchers of a mount. */
export interface StatusChannel {
  /** How many watch `mount` through this channel. */
  watchers(mount: string): number;
  /** Writes `json` (a StatusMessage, encoded once) to every watcher of `mount`. */
  send(mount: string, json: Buffer): void;
}

export class StatusFeed {
  private readonly hub: Hub;
  private readonly channels: StatusChannel[] = [];
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(hub: Hub) {
    this.hub = hub;
    this.unsubscribe = hub.onChange((snap, kind) => {
      if (kind !== 'listeners') this.sendNow(snap.mount);
      else this.sendSoon(snap.mount);
    });
  }

  add(channel: StatusChannel): void {
    this.channels.push(channel);
  }

  /** The message a new watcher of `mount` starts with: the status now (a few microseconds per join). */
  current(mount: string): Buffer {
    return encodeMessage(toStatusMessage(this.hub.snapshot(mount)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private watchers(mount: string): number {
    let n = 0;
    for (const c of this.channels) n += c.watchers(mount);
    return n;
  }

  private sendSoon(mount: string): void {
    if (this.pending.has(mount)) return;
    const watchers = this.watchers(mount);
    if (watchers === 0) return;
    this.pending.set(
      mount,
      setTimeout(() => this.sendNow(mount), coalesceMs(watchers)),
    );
  }

  private sendNow(mount: string): void {
    const t = this.pending.get(mount);
    if (t) {
      clearTimeout(t);
      this.pending.delete(mount);
    }
    if (this.watchers(mount) === 0) return;
    const json = this.current(mount);
    for (const c of this.channels) c.send(mount, json);
  }
}
