/**
 * One mount's live stream: OFFLINE/LIVE state, the init segment, the newest Cluster (the burst a
 * late joiner starts from) and the set of attached sinks. Knows nothing of HTTP or WebSocket.
 */

import type { StreamState } from '../../shared/protocol.js';
import { DeliveryInterval } from './delivery-interval.js';
import { Rendition } from './rendition.js';
import type {
  BeginFields,
  MediaChunk,
  MediaEvent,
  MountChange,
  MountOrigin,
  MountSnapshot,
  Output,
  Sink,
  SinkEndReason,
  StreamInfo,
} from './types.js';

export interface MountOptions {
  name: string;
  /** Bytes kept per rendition for late joiners (from the newest sync point). */
  burstBytes: number;
  /** How long the Ogg and MP3/AAC outputs gather their chunks into one write (0: each at once). */
  oggFlushMs?: number;
  onChange: (mount: Mount, kind: MountChange) => void;
  /** A listener was dropped for being too slow. */
  onSlow?: (mount: Mount) => void;
  /** Every init and chunk, as it is published (the Redis bridge). */
  onMedia?: (mount: Mount, event: MediaEvent) => void;
  /** The packets output's write window now (the hub's adaptive one); 0 (at once) by default. */
  packetsFlushMs?: () => number;
}

export class Mount {
  readonly name: string;
  state: StreamState = 'offline';
  startedAt: Date | null = null;
  title: string | null = null;
  info: StreamInfo = {};
  /** Where the broadcast comes from (set by {@link begin}); null while OFFLINE. */
  origin: MountOrigin | null = null;
  /** Bytes the broadcaster has delivered in this broadcast (set by its pipeline; held-back bytes included). */
  bytesIn = 0;
  listenerPeak = 0;
  /** Listeners other nodes of a cluster serve for this mount (0 without a cluster). */
  remoteListeners = 0;
  /** One rendition per output container; WebM is the one the browser pages use. */
  readonly renditions: Readonly<Record<Output, Rendition>>;
  /** The renditions, for sums over them. */
  private readonly all: readonly Rendition[];
  /** How often the source delivers audio (measured on the packets output's pushes). */
  private readonly delivery = new DeliveryInterval();
  private readonly onChange: (mount: Mount, kind: MountChange) => void;
  private readonly onMedia: (mount: Mount, event: MediaEvent) => void;

  constructor(options: MountOptions) {
    this.name = options.name;
    this.onChange = options.onChange;
    this.onMedia = options.onMedia ?? (() => {});
    const onSlow = options.onSlow ?? (() => {});
    const hooks = {
      onListeners: () => {
        this.listenerPeak = Math.max(this.listenerPeak, this.listeners + this.remoteListeners);
        this.onChange(this, 'listeners');
      },
      onSlow: () => onSlow(this),
    };
    const { burstBytes } = options;
    this.renditions = {
      webm: new Rendition('webm', burstBytes, hooks),
      ogg: new Rendition('ogg', burstBytes, hooks, options.oggFlushMs ?? 0),
      packets: new Rendition('packets', burstBytes, hooks, options.packetsFlushMs ?? 0),
      // MP3/AAC listeners are radio players and <audio> elements, which buffer seconds: written as Ogg's.
      mpeg: new Rendition('mpeg', burstBytes, hooks, options.oggFlushMs ?? 0),
    };
    this.all = Object.values(this.renditions);
  }

  get listeners(): number {
    let n = 0;
    for (const r of this.all) n += r.listeners;
    return n;
  }

  get bytesOut(): number {
    let n = 0;
    for (const r of this.all) n += r.bytesOut;
    return n;
  }

  get slowDropped(): number {
    let n = 0;
    for (const r of this.all) n += r.slowDropped;
    return n;
  }

  /**
   * Goes LIVE. `init` is the init of `output` (the WebM init segment, everything before the first
   * Cluster, by default; empty for an MP3/AAC source's `mpeg`); other renditions get theirs with
   * {@link setInit}.
   */
  begin({ init, title, info = {}, startedAt = new Date(), origin, output = 'webm' }: BeginFields): void {
    this.renditions[output].setInit(init);
    this.state = 'live';
    this.startedAt = startedAt;
    this.origin = origin;
    this.info = info;
    // A title set before the first Cluster (the broadcaster page sends it at once) is kept.
    this.title = title ?? this.title;
    this.onMedia(this, { kind: 'init', container: output, bytes: init });
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
    // One packets chunk per source push: its rhythm is the source's delivery interval.
    if (container === 'packets' && this.delivery.push(performance.now())) this.onChange(this, 'listeners');
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
    this.origin = null;
    this.bytesIn = 0;
    this.remoteListeners = 0;
    this.delivery.reset();
    for (const r of this.all) r.endAll(reason);
    this.onChange(this, 'state');
  }

  /**
   * Ends every listener's stream while the broadcast goes on (the channel's access changed: they
   * reconnect and are checked again); the recorder's taps stay. Returns how many were ended.
   */
  endListeners(reason: SinkEndReason = 'revoked'): number {
    const n = this.listeners;
    for (const r of this.all) r.endListeners(reason);
    return n;
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
      sourceIntervalMs: this.delivery.ms,
      bytesOut: this.bytesOut,
      slowDropped: this.slowDropped,
    };
  }
}
