/**
 * The hub: every mount's live stream, in memory. Ingest publishes into it; outputs (HTTP listeners,
 * status socket, recorder) attach to it; the Redis cluster sits beside it, on its change and media
 * events, and feeds relayed mounts through the same pipeline a local source uses.
 */
import type { Logger } from '../log.js';
import { LoadGauge } from './load.js';
import { Mount } from './mount.js';
import type { MediaEvent, MountChange, MountSnapshot } from './types.js';

export type ChangeKind = MountChange;
export type ChangeListener = (snapshot: MountSnapshot, kind: ChangeKind) => void;
/** Sees every init and chunk any mount's pipeline produces (the Redis bridge). */
export type MediaListener = (mount: Mount, event: MediaEvent) => void;

/** Below this many listeners of a mount's packets output its writes are never coalesced. */
export const COALESCE_MIN_LISTENERS = 500;

export interface HubOptions {
  burstBytes: number;
  /** How long the Ogg output gathers pages into one write (0: each page at once). */
  oggFlushMs?: number;
  /**
   * The packets output's adaptive window: while the process is busy (event-loop utilisation at
   * `packetCoalesceLoad`, 0–1; 0 means always) and a mount has at least COALESCE_MIN_LISTENERS on it,
   * its packets gather for up to `packetCoalesceMs` per write. 0 ms: never.
   */
  packetCoalesceMs?: number;
  packetCoalesceLoad?: number;
  log: Logger;
}

export class Hub {
  private readonly mounts = new Map<string, Mount>();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly mediaListeners = new Set<MediaListener>();
  private readonly burstBytes: number;
  private readonly oggFlushMs: number;
  private readonly packetCoalesceMs: number;
  private readonly load: LoadGauge | null;
  private readonly log: Logger;

  constructor(options: HubOptions) {
    this.burstBytes = options.burstBytes;
    this.oggFlushMs = options.oggFlushMs ?? 0;
    this.packetCoalesceMs = options.packetCoalesceMs ?? 0;
    this.log = options.log;
    this.load =
      this.packetCoalesceMs > 0
        ? new LoadGauge(options.packetCoalesceLoad ?? 0, (busy, utilization) =>
            this.log.info(
              { busy, eventLoopUtilization: Math.round(utilization * 100) / 100 },
              busy
                ? 'busy: coalescing large packet-stream audiences'
                : 'no longer busy: packets written at once',
            ),
          )
        : null;
  }

  /** The mount called `name`, created (OFFLINE) on first use. */
  mount(name: string): Mount {
    let m = this.mounts.get(name);
    if (!m) {
      m = new Mount({
        name,
        burstBytes: this.burstBytes,
        oggFlushMs: this.oggFlushMs,
        onChange: (mount, kind) => this.emit(mount, kind),
        onSlow: (mount) =>
          this.log.warn({ mount: mount.name, dropped: mount.slowDropped }, 'listener too slow, dropped'),
        onMedia: (mount, event) => {
          for (const l of this.mediaListeners) l(mount, event);
        },
        packetsFlushMs: () => this.packetsFlushMs(name),
      });
      this.mounts.set(name, m);
    }
    return m;
  }

  /** The packets output's write window for `name` now: see {@link HubOptions.packetCoalesceMs}. */
  private packetsFlushMs(name: string): number {
    if (!this.load?.busy) return 0;
    const listeners = this.mounts.get(name)?.renditions.packets.listeners ?? 0;
    return listeners >= COALESCE_MIN_LISTENERS ? this.packetCoalesceMs : 0;
  }

  /** The mount if it exists; a mount nobody ever broadcast to does not. */
  find(name: string): Mount | undefined {
    return this.mounts.get(name);
  }

  /** A snapshot of `name`, OFFLINE with zero counts if it never existed. */
  snapshot(name: string): MountSnapshot {
    return (
      this.mounts.get(name)?.snapshot() ?? {
        mount: name,
        state: 'offline',
        listeners: 0,
        localListeners: 0,
        listenerPeak: 0,
        startedAt: null,
        title: null,
        info: {},
        bytesIn: 0,
        sourceIntervalMs: null,
        bytesOut: 0,
        slowDropped: 0,
      }
    );
  }

  /** Every mount this hub has (live or not). */
  each(): IterableIterator<Mount> {
    return this.mounts.values();
  }

  /** Listeners of every mount. */
  get listeners(): number {
    let n = 0;
    for (const m of this.mounts.values()) n += m.listeners;
    return n;
  }

  all(): MountSnapshot[] {
    return [...this.mounts.values()].map((m) => m.snapshot());
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls `listener` with every init and chunk published, on every mount; returns the unsubscribe. */
  onMedia(listener: MediaListener): () => void {
    this.mediaListeners.add(listener);
    return () => this.mediaListeners.delete(listener);
  }

  /** Ends every broadcast and drops every sink. */
  close(): void {
    this.load?.close();
    for (const m of this.mounts.values()) m.end('shutdown');
    this.changeListeners.clear();
    this.mediaListeners.clear();
  }

  private emit(mount: Mount, kind: ChangeKind): void {
    if (kind === 'state') {
      this.log.info(
        { mount: mount.name, state: mount.state, bytesIn: mount.bytesIn },
        `mount ${mount.state}`,
      );
    }
    const snap = mount.snapshot();
    for (const l of this.changeListeners) l(snap, kind);
  }
}
