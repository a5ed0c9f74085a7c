/**
 * The broadcasting node's side of the bridge: everything the pipeline produces for a mount this
 * node has claimed (init per rendition, chunks with their sync points, title, end) is appended to
 * the mount's capped Redis Stream, in order, on one connection. Redis never holds the broadcast
 * back: past MAX_PENDING_BYTES in flight, or while Redis is away, chunks are dropped (counted) and
 * the rendition resumes at its next sync point, so other nodes' listeners get whole Clusters.
 * An MP3/AAC broadcast is published the same way: its begin (empty init, info with sourceType and
 * frames info), then its `mpeg` chunks (whole frames, each a sync point).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import type { MediaEvent, MountSnapshot } from '../hub/types.js';
import type { Logger } from '../log.js';
import { META_TTL_MS } from './claims.js';
import type { Entry, Field, Relayed } from './entries.js';
import { beginFields, encodeEntry } from './entries.js';
import type { PublishMode, Scripts } from './scripts.js';

/** Bytes sent to Redis but not yet acknowledged, past which chunks are dropped. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** A mount's stream keeps about this many entries (minutes of audio: 120 ms chunks, two renditions). */
export const STREAM_MAX_LEN = 2_000;

interface Published {
  bid: string;
  mount: Mount;
  /** The rendition the source's own bytes go to (its begin's): WebM, or `mpeg` for MP3/AAC. */
  output: 'webm' | 'mpeg';
  init: Uint8Array;
  oggInit: Uint8Array | null;
  graceMs: number;
  /** The begin entry is in Redis (false until it is, and again after a failed write). */
  announced: boolean;
  /** Drop this rendition's chunks until its next sync point (after a gap). */
  resync: Record<Relayed, boolean>;
}

export interface PublisherStats {
  entries: number;
  bytes: number;
  dropped: number;
  errors: number;
}

export class Publisher {
  readonly stats: PublisherStats = { entries: 0, bytes: 0, dropped: 0, errors: 0 };
  private readonly client: Redis;
  private readonly scripts: Scripts;
  private readonly node: string;
  private readonly log: Logger;
  private readonly owns: (mount: string) => boolean;
  private readonly graceOf: (mount: string) => number;
  private readonly mounts = new Map<string, Published>();
  private pendingBytes = 0;
  private readonly unsubscribe: Array<() => void>;

  constructor(options: {
    hub: Hub;
    client: Redis;
    scripts: Scripts;
    node: string;
    log: Logger;
    /** True for mounts this node has claimed: only those are published. */
    owns: (mount: string) => boolean;
    /** The grace period of the mount's broadcast (relays end it after that much silence). */
    graceOf: (mount: string) => number;
  }) {
    this.client = options.client;
    this.scripts = options.scripts;
    this.node = options.node;
    this.log = options.log;
    this.owns = options.owns;
    this.graceOf = options.graceOf;
    this.unsubscribe = [
      options.hub.onMedia((mount, event) => this.onMedia(mount, event)),
      options.hub.onChange((snap, kind) => this.onChange(snap, kind)),
    ];
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    this.mounts.clear();
  }

  private onMedia(mount: Mount, event: MediaEvent): void {
    if (!this.owns(mount.name)) return;
    // The packets output is derived again from the WebM on each relaying node (see relay.ts):
    // one Redis entry per Opus packet would multiply the stream's entries for nothing.
    if (event.container === 'packets') return;
    const container = event.container;
    if (event.kind === 'init' && (container === 'webm' || container === 'mpeg')) {
      const p: Published = {
        bid: randomBytes(9).toString('base64url'),
        mount,
        output: container,
        init: event.bytes,
        oggInit: null,
        graceMs: this.graceOf(mount.name),
        announced: false,
        resync: { webm: false, ogg: false, mpeg: false },
      };
      this.mounts.set(mount.name, p);
      this.begin(p);
      return;
    }
    const p = this.mounts.get(mount.name);
    if (!p) return;
    if (event.kind === 'init') {
      p.oggInit = event.bytes;
      if (!p.announced) return;
      this.send(
        p,
        { mode: 'set', meta: ['init:ogg', bufferOf(event.bytes)] },
        {
          kind: 'init',
          bid: p.bid,
          t: Date.now(),
          container: event.container,
          bytes: bufferOf(event.bytes),
        },
      );
      return;
    }
    const { chunk } = event;
    // After a failed write, start again at a Cluster start (an MP3/AAC frame), with a fresh begin entry.
    if (!p.announced && container === p.output && chunk.syncPoint) this.begin(p);
    if (!p.announced || (p.resync[container] && !chunk.syncPoint)) {
      this.stats.dropped++;
      return;
    }
    if (this.pendingBytes > MAX_PENDING_BYTES || this.client.status !== 'ready') {
      this.stats.dropped++;
      p.resync[container] = true;
      return;
    }
    p.resync[container] = false;
    this.send(
      p,
      { mode: chunk.syncPoint ? `sync:${container}` : '' },
      { kind: 'chunk', bid: p.bid, t: Date.now(), container, chunk, bytesIn: mount.bytesIn },
    );
  }

  private onChange(snap: MountSnapshot, kind: string): void {
    const p = this.mounts.get(snap.mount);
    if (!p) return;
    if (kind === 'title' && p.announced) {
      const t = Date.now();
      if (snap.title === null)
        this.send(p, { mode: 'unset', meta: ['title'] }, { kind: 'title', bid: p.bid, t, title: null });
      else
        this.send(
          p,
          { mode: 'set', meta: ['title', snap.title] },
          { kind: 'title', bid: p.bid, t, title: snap.title },
        );
    } else if (kind === 'state' && snap.state === 'offline') {
      this.mounts.delete(snap.mount);
      // A claim lost to another node: the stream is the other node's now.
      if (this.owns(snap.mount)) this.send(p, { mode: 'end' }, { kind: 'end', bid: p.bid, t: Date.now() });
    }
  }

  private begin(p: Published): void {
    const m = p.mount;
    const fields = beginFields({
      init: bufferOf(p.init),
      title: m.title,
      info: m.info,
      graceMs: p.graceMs,
      startedAt: (m.startedAt ?? new Date()).getTime(),
    });
    const meta: Field[] = ['bid', p.bid, ...fields];
    if (p.oggInit) meta.push('init:ogg', bufferOf(p.oggInit));
    p.announced = true;
    p.resync = { webm: false, ogg: p.oggInit === null, mpeg: false };
    const entry: Entry = {
      kind: 'begin',
      bid: p.bid,
      t: Date.now(),
      init: bufferOf(p.init),
      title: m.title,
      info: m.info,
      graceMs: p.graceMs,
      startedAt: (m.startedAt ?? new Date()).getTime(),
    };
    this.send(p, { mode: 'begin', meta }, entry);
  }

  private send(p: Published, o: { mode: PublishMode; meta?: Field[] }, entry: Entry): void {
    const fields = encodeEntry(entry);
    let n = 0;
    for (const f of fields) n += f.length;
    for (const f of o.meta ?? []) n += f.length;
    if (this.client.status !== 'ready') {
      this.failed(p, entry, new Error(`redis ${this.client.status}`));
      return;
    }
    this.pendingBytes += n;
    this.scripts
      .publish(p.mount.name, this.node, { maxLen: STREAM_MAX_LEN, ttlMs: META_TTL_MS, ...o }, fields)
      .then(
        () => {
          this.stats.entries++;
          this.stats.bytes += n;
        },
        (err: unknown) => this.failed(p, entry, err as Error),
      )
      .finally(() => {
        this.pendingBytes -= n;
      });
  }

  private failed(p: Published, entry: Entry, err: Error): void {
    this.stats.errors++;
    if (entry.kind === 'chunk') this.stats.dropped++;
    const wasAnnounced = p.announced;
    // Resume cleanly: a new begin entry at the next Cluster start, then whole chunks again.
    p.announced = false;
    p.resync = { webm: true, ogg: true, mpeg: true };
    if (wasAnnounced) {
      this.log.warn(
        { mount: p.mount.name, entry: entry.kind, err },
        'redis write failed; other nodes resume at the next Cluster',
      );
    }
  }
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
