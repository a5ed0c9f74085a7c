/**
 * One mount's live stream: OFFLINE/LIVE state, the init segment, the newest Cluster (the burst a
 * late joiner starts from) and the set of attached sinks. Knows nothing of HTTP or WebSocket.
 */
import type { StreamState } from '../../shared/protocol.js';

/** A piece of the live byte stream; `syncPoint` marks a piece that begins at a Cluster start. */
export interface MediaChunk {
  bytes: Uint8Array;
  syncPoint: boolean;
}

/** Something that receives a mount's bytes: an HTTP listener, later a recorder or a Redis bridge. */
export interface Sink {
  /** Queues bytes; returns false when the sink is over its byte budget and must be dropped. */
  write(bytes: Uint8Array): boolean;
  /** The broadcast ended (`'ended'`), or the sink was dropped (`'slow'`) or the server closes (`'shutdown'`). */
  end(reason: SinkEndReason): void;
}

export type SinkEndReason = 'ended' | 'slow' | 'shutdown';

/** What the broadcaster says about the stream (Icecast's ice-* headers). */
export interface StreamInfo {
  name?: string;
  description?: string;
  genre?: string;
  url?: string;
  /** Content type the source sent. */
  sourceType?: string;
}

/** What changed: the state (pushed at once), the title (at once), or counters (coalesced). */
export type MountChange = 'state' | 'title' | 'listeners';

export interface MountSnapshot {
  mount: string;
  state: StreamState;
  listeners: number;
  listenerPeak: number;
  startedAt: Date | null;
  title: string | null;
  info: StreamInfo;
  bytesIn: number;
  bytesOut: number;
  slowDropped: number;
}

export class Mount {
  readonly name: string;
  state: StreamState = 'offline';
  startedAt: Date | null = null;
  title: string | null = null;
  info: StreamInfo = {};
  /** Bytes the broadcaster has delivered in this broadcast (set by ingest; held-back bytes included). */
  bytesIn = 0;
  bytesOut = 0;
  listenerPeak = 0;
  slowDropped = 0;

  private init: Uint8Array | null = null;
  /** Chunks from the newest sync point on; empty when there is none within burstBytes. */
  private burst: MediaChunk[] = [];
  private burstSize = 0;
  private readonly burstBytes: number;
  private readonly sinks = new Set<Sink>();
  /** Sinks that joined while no sync point was at hand: they start at the next one. */
  private readonly waiting = new Set<Sink>();
  private readonly onChange: (mount: Mount, kind: MountChange) => void;
  private readonly onSlow: (mount: Mount) => void;

  constructor(
    name: string,
    burstBytes: number,
    onChange: (mount: Mount, kind: MountChange) => void,
    onSlow: (mount: Mount) => void,
  ) {
    this.name = name;
    this.burstBytes = burstBytes;
    this.onChange = onChange;
    this.onSlow = onSlow;
  }

  get listeners(): number {
    return this.sinks.size + this.waiting.size;
  }

  /** Goes LIVE with `init` (everything before the first Cluster). */
  begin(init: Uint8Array, title: string | null): void {
    this.init = init;
    this.burst = [];
    this.burstSize = 0;
    this.state = 'live';
    this.startedAt = new Date();
    this.title = title;
    this.onChange(this, 'state');
  }

  /** Relays one chunk to every sink and keeps it for late joiners. */
  publish(chunk: MediaChunk): void {
    if (this.state !== 'live') return;
    const n = chunk.bytes.byteLength;
    if (chunk.syncPoint) {
      // A Cluster start larger than the cap cannot be kept: late joiners wait for the next one.
      this.burst = n <= this.burstBytes ? [chunk] : [];
      this.burstSize = n <= this.burstBytes ? n : 0;
      for (const sink of this.waiting) {
        this.waiting.delete(sink);
        this.sinks.add(sink);
      }
    } else if (this.burst.length > 0 && this.burstSize + n <= this.burstBytes) {
      this.burst.push(chunk);
      this.burstSize += n;
    } else {
      // A Cluster larger than the burst cap: late joiners wait for the next Cluster start.
      this.burst = [];
      this.burstSize = 0;
    }
    let dropped = false;
    for (const sink of this.sinks) {
      if (sink.write(chunk.bytes)) {
        this.bytesOut += n;
      } else {
        this.sinks.delete(sink);
        this.slowDropped++;
        dropped = true;
        sink.end('slow');
        this.onSlow(this);
      }
    }
    if (dropped) this.onChange(this, 'listeners');
  }

  /**
   * Attaches a sink: it gets the init segment, then the newest Cluster so far, then live bytes.
   * Returns false (and attaches nothing) while OFFLINE.
   */
  attach(sink: Sink): boolean {
    if (this.state !== 'live' || this.init === null) return false;
    if (!sink.write(this.init)) return false;
    if (this.burst.length === 0) {
      this.waiting.add(sink);
    } else {
      for (const c of this.burst) {
        // A sink that cannot even take the burst is over its budget already: never attach it.
        if (!sink.write(c.bytes)) return false;
      }
      this.sinks.add(sink);
    }
    this.listenerPeak = Math.max(this.listenerPeak, this.listeners);
    this.onChange(this, 'listeners');
    return true;
  }

  detach(sink: Sink): void {
    if (this.sinks.delete(sink) || this.waiting.delete(sink)) this.onChange(this, 'listeners');
  }

  /** Ends the broadcast: every sink is ended, the mount goes OFFLINE. */
  end(reason: SinkEndReason = 'ended'): void {
    if (this.state === 'offline') return;
    const all = [...this.sinks, ...this.waiting];
    this.sinks.clear();
    this.waiting.clear();
    this.state = 'offline';
    this.init = null;
    this.burst = [];
    this.burstSize = 0;
    this.startedAt = null;
    this.title = null;
    this.info = {};
    this.bytesIn = 0;
    for (const sink of all) sink.end(reason);
    this.onChange(this, 'state');
  }

  /** Sets the stream title (Icecast metadata update); status watchers hear of it at once. */
  setTitle(title: string | null): void {
    this.title = title;
    this.onChange(this, 'title');
  }

  /** Tells status watchers that counters changed (coalesced like listener-count changes). */
  notify(): void {
    this.onChange(this, 'listeners');
  }

  snapshot(): MountSnapshot {
    return {
      mount: this.name,
      state: this.state,
      listeners: this.listeners,
      listenerPeak: this.listenerPeak,
      startedAt: this.startedAt,
      title: this.title,
      info: this.info,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      slowDropped: this.slowDropped,
    };
  }
}
