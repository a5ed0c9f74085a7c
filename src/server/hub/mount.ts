/**
 * One mount's live stream: OFFLINE/LIVE state, the init segment, the newest Cluster (the burst a
 * late joiner starts from) and the set of attached sinks. Knows nothing of HTTP or WebSocket.
 */
import type { StreamState } from '../../shared/protocol.js';
import type { Output } from './rendition.js';
import { Rendition } from './rendition.js';

/** A piece of the live byte stream; `syncPoint` marks a piece that begins at a Cluster start. */
export interface MediaChunk {
  bytes: Uint8Array;
  syncPoint: boolean;
  /**
   * With `syncPoint`: where in `bytes` a late joiner starts when that is not the beginning, for a
   * chunk that holds several sync points (the packet stream's frames of one push: the newest one).
   */
  joinAt?: number;
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

/**
 * What a mount's pipeline produced, as it is produced: the Redis bridge forwards it to other nodes.
 * `init` comes for every rendition that gets init bytes (WebM at {@link Mount.begin}, Ogg later).
 */
export type MediaEvent =
  | { kind: 'init'; container: Output; bytes: Uint8Array }
  | { kind: 'chunk'; container: Output; chunk: MediaChunk };

export interface MountSnapshot {
  mount: string;
  state: StreamState;
  /** Listeners of the whole cluster: this node's plus those other nodes report (see {@link Mount.setRemoteListeners}). */
  listeners: number;
  /** Listeners attached to this node. */
  localListeners: number;
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
  listenerPeak = 0;
  /** Listeners other nodes of a cluster serve for this mount (0 without a cluster). */
  remoteListeners = 0;
  /** One rendition per output container; WebM is the one the browser pages use. */
  readonly renditions: Readonly<Record<Output, Rendition>>;
  private readonly onChange: (mount: Mount, kind: MountChange) => void;
  private readonly onMedia: (mount: Mount, event: MediaEvent) => void;

  constructor(
    name: string,
    burstBytes: number,
    oggFlushMs: number,
    onChange: (mount: Mount, kind: MountChange) => void,
    onSlow: (mount: Mount) => void,
    onMedia: (mount: Mount, event: MediaEvent) => void = () => {},
    packetsFlushMs: () => number = () => 0,
  ) {
    this.name = name;
    this.onChange = onChange;
    this.onMedia = onMedia;
    const hooks = {
      onListeners: () => {
        this.listenerPeak = Math.max(this.listenerPeak, this.listeners + this.remoteListeners);
        this.onChange(this, 'listeners');
      },
      onSlow: () => onSlow(this),
    };
    this.renditions = {
      webm: new Rendition('webm', burstBytes, hooks),
      ogg: new Rendition('ogg', burstBytes, hooks, oggFlushMs),
      packets: new Rendition('packets', burstBytes, hooks, packetsFlushMs),
    };
  }

  get listeners(): number {
    return this.renditions.webm.listeners + this.renditions.ogg.listeners + this.renditions.packets.listeners;
  }

  get bytesOut(): number {
    return this.renditions.webm.bytesOut + this.renditions.ogg.bytesOut + this.renditions.packets.bytesOut;
  }

  get slowDropped(): number {
    return (
      this.renditions.webm.slowDropped + this.renditions.ogg.slowDropped + this.renditions.packets.slowDropped
    );
  }

  /**
   * Goes LIVE. `init` is the WebM init segment (everything before the first Cluster); other
   * renditions get theirs with {@link setInit}.
   */
  begin(init: Uint8Array, title: string | null, startedAt: Date = new Date()): void {
    this.renditions.webm.setInit(init);
    this.state = 'live';
    this.startedAt = startedAt;
    // A title set before the first Cluster (the broadcaster page sends it at once) is kept.
    this.title = title ?? this.title;
    this.onMedia(this, { kind: 'init', container: 'webm', bytes: init });
    this.onChange(this, 'state');
  }

  /** Sets a rendition's init bytes (for example the Ogg header pages once the OpusHead is known). */
  setInit(container: Output, init: Uint8Array): void {
    this.renditions[container].setInit(init);
    if (this.state === 'live') this.onMedia(this, { kind: 'init', container, bytes: init });
  }

  /** Relays one chunk of `container` to its sinks and keeps it for late joiners. */
  publish(chunk: MediaChunk, container: Output = 'webm'): void {
    if (this.state !== 'live') return;
    this.renditions[container].publish(chunk);
    this.onMedia(this, { kind: 'chunk', container, chunk });
  }

  /**
   * Attaches a sink to `container`: it gets the init bytes, then the newest sync point's burst,
   * then live bytes. Returns false (and attaches nothing) while OFFLINE or before that init exists.
   */
  attach(sink: Sink, container: Output = 'webm'): boolean {
    if (this.state !== 'live') return false;
    return this.renditions[container].attach(sink);
  }

  /**
   * Adds a sink that is not a listener (the recorder): it gets the init bytes now and every chunk as
   * it is published; it is not counted and never dropped. It stays until {@link removeTap}.
   */
  addTap(tap: Sink, container: Output = 'webm'): void {
    this.renditions[container].addTap(tap);
  }

  removeTap(tap: Sink, container: Output = 'webm'): void {
    this.renditions[container].removeTap(tap);
  }

  detach(sink: Sink, container: Output = 'webm'): void {
    this.renditions[container].detach(sink);
  }

  /** Ends the broadcast: every sink is ended, the mount goes OFFLINE. */
  end(reason: SinkEndReason = 'ended'): void {
    if (this.state === 'offline') return;
    this.state = 'offline';
    this.startedAt = null;
    this.title = null;
    this.info = {};
    this.bytesIn = 0;
    this.remoteListeners = 0;
    this.renditions.webm.endAll(reason);
    this.renditions.ogg.endAll(reason);
    this.renditions.packets.endAll(reason);
    this.onChange(this, 'state');
  }

  /** Sets the stream title (Icecast metadata update); status watchers hear of it at once. */
  setTitle(title: string | null): void {
    this.title = title;
    this.onChange(this, 'title');
  }

  /** Sets the listeners other nodes serve; status watchers hear of a change (coalesced). */
  setRemoteListeners(n: number): void {
    if (n === this.remoteListeners) return;
    this.remoteListeners = n;
    this.listenerPeak = Math.max(this.listenerPeak, this.listeners + n);
    this.onChange(this, 'listeners');
  }

  /** Tells status watchers that counters changed (coalesced like listener-count changes). */
  notify(): void {
    this.onChange(this, 'listeners');
  }

  snapshot(): MountSnapshot {
    return {
      mount: this.name,
      state: this.state,
      listeners: this.listeners + this.remoteListeners,
      localListeners: this.listeners,
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
