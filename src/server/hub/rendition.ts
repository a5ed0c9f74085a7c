/**
 * One output container of a mount (WebM for MSE players, Ogg for radio players): its init bytes,
 * the newest sync point onward (the burst a late joiner starts from), and its sinks. Each chunk is
 * produced once and the same bytes go to every sink: per-listener work is the write only.
 *
 * With `flushMs` > 0 the chunks are gathered for up to that long and written as one buffer (made
 * once, shared by every sink). The kernel's cost is per write, so this divides the fan-out's CPU by
 * the number of chunks gathered. It suits players that buffer seconds anyway (the Ogg output for
 * VLC, mpv and radio apps); the WebM and packets outputs for the browser players write each chunk
 * as it comes.
 */
import type { MediaChunk, Output, Sink, SinkEndReason } from './types.js';

export interface RenditionHooks {
  /** A sink joined, left or was dropped. */
  onListeners(): void;
  /** A sink was dropped for being over its byte budget. */
  onSlow(): void;
}

export class Rendition {
  readonly container: Output;
  /** Bytes written to sinks (init and burst included), since the start. */
  bytesOut = 0;
  slowDropped = 0;
  private init: Uint8Array | null = null;
  /** Chunks from the newest sync point on; empty when there is none within burstBytes. */
  private burst: MediaChunk[] = [];
  private burstSize = 0;
  private readonly burstBytes: number;
  private readonly sinks = new Set<Sink>();
  /** Sinks that joined while no sync point was at hand: they start at the next one. */
  private readonly waiting = new Set<Sink>();
  /** Sinks that are not listeners (the recorder): every chunk at once, never counted or dropped. */
  private readonly taps = new Set<Sink>();
  private readonly hooks: RenditionHooks;
  /** How long chunks gather before a write now (0: at once); a function for an adaptive window. */
  private readonly flushMs: () => number;
  /** Chunks published but not yet written (only with flushMs > 0): a suffix of what was published. */
  private pending: MediaChunk[] = [];
  private pendingSize = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    container: Output,
    burstBytes: number,
    hooks: RenditionHooks,
    flushMs: number | (() => number) = 0,
  ) {
    this.container = container;
    this.burstBytes = burstBytes;
    this.hooks = hooks;
    this.flushMs = typeof flushMs === 'number' ? () => flushMs : flushMs;
  }

  get listeners(): number {
    return this.sinks.size + this.waiting.size;
  }

  get ready(): boolean {
    return this.init !== null;
  }

  /** Sets the bytes every sink gets first (WebM: up to the first Cluster; Ogg: the header pages). */
  setInit(init: Uint8Array): void {
    this.flush();
    this.init = asBuffer(init);
    this.burst = [];
    this.burstSize = 0;
  }

  /** Relays one chunk to every sink and keeps it for late joiners. */
  publish(input: MediaChunk): void {
    if (this.init === null) return;
    // Sockets take Buffers as they are but wrap every other Uint8Array in a new Buffer per write:
    // wrap it once here, not once per listener.
    const bytes = asBuffer(input.bytes);
    const chunk: MediaChunk = bytes === input.bytes ? input : { bytes, syncPoint: input.syncPoint };
    const n = bytes.byteLength;
    if (chunk.syncPoint) {
      // Late joiners start at the newest sync point in the chunk (its start, or `joinAt`).
      const from = input.joinAt ? { bytes: bytes.subarray(input.joinAt), syncPoint: true } : chunk;
      const size = from.bytes.byteLength;
      // A sync chunk larger than the cap cannot be kept: late joiners wait for the next one.
      this.burst = size <= this.burstBytes ? [from] : [];
      this.burstSize = size <= this.burstBytes ? size : 0;
      // Sinks that wait start exactly here: what is still pending predates them.
      if (this.waiting.size > 0) this.flush();
      for (const sink of this.waiting) {
        this.waiting.delete(sink);
        this.sinks.add(sink);
      }
    } else if (this.burst.length > 0 && this.burstSize + n <= this.burstBytes) {
      this.burst.push(chunk);
      this.burstSize += n;
    } else {
      // Past the burst cap since the last sync point: late joiners wait for the next one.
      this.burst = [];
      this.burstSize = 0;
    }
    for (const tap of this.taps) tap.write(bytes);
    const flushMs = this.flushMs();
    if (flushMs === 0 && this.pending.length === 0) {
      this.deliver(bytes);
      return;
    }
    this.pending.push(chunk);
    this.pendingSize += n;
    if (flushMs === 0 || this.pendingSize >= MAX_PENDING_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), flushMs);
  }

  /** Writes the pending chunks, as one buffer, to every sink. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.pending.length === 0) return;
    const bytes =
      this.pending.length === 1
        ? (this.pending[0] as MediaChunk).bytes
        : Buffer.concat(
            this.pending.map((c) => c.bytes),
            this.pendingSize,
          );
    this.pending = [];
    this.pendingSize = 0;
    this.deliver(bytes);
  }

  private deliver(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    let dropped = false;
    for (const sink of this.sinks) {
      if (sink.write(bytes)) {
        this.bytesOut += n;
      } else {
        this.sinks.delete(sink);
        this.slowDropped++;
        dropped = true;
        sink.end('slow');
        this.hooks.onSlow();
      }
    }
    if (dropped) this.hooks.onListeners();
  }

  /**
   * Attaches a sink: it gets the init bytes, then the burst, then live bytes.
   * Returns false (and attaches nothing) before the init is known or when the sink refuses bytes.
   */
  attach(sink: Sink): boolean {
    if (this.init === null) return false;
    // An MP3/AAC stream has no init bytes: its frames stand alone.
    if (this.init.byteLength > 0 && !sink.write(this.init)) return false;
    let written = this.init.byteLength;
    if (this.burst.length === 0) {
      this.waiting.add(sink);
    } else {
      // The newest chunks may still be pending: the sink gets those with everyone at the flush. If
      // some pending ones predate the burst, the sink must not get them: flush now. Except on the
      // packets and MP3/AAC outputs, where every chunk is a start (whole packets, whole frames): a
      // joiner there takes what is pending with everyone (at most one window older than the newest
      // chunk), so a storm of joins during a busy spell never turns into a flush per join.
      const everyChunkStarts = this.container === 'packets' || this.container === 'mpeg';
      if (this.pending.length > this.burst.length && everyChunkStarts) {
        this.sinks.add(sink);
        this.bytesOut += written;
        this.hooks.onListeners();
        return true;
      }
      if (this.pending.length > this.burst.length) this.flush();
      const unsent = this.burst.length - Math.min(this.burst.length, this.pending.length);
      for (let i = 0; i < unsent; i++) {
        // A sink that cannot even take the burst is over its budget already: never attach it.
        const bytes = (this.burst[i] as MediaChunk).bytes;
        if (!sink.write(bytes)) return false;
        written += bytes.byteLength;
      }
      this.sinks.add(sink);
    }
    this.bytesOut += written;
    this.hooks.onListeners();
    return true;
  }

  /** Adds a tap: it gets the init bytes (when known) now, then every chunk as it is published. */
  addTap(tap: Sink): void {
    this.taps.add(tap);
    if (this.init !== null && this.init.byteLength > 0) tap.write(this.init);
  }

  removeTap(tap: Sink): void {
    this.taps.delete(tap);
  }

  detach(sink: Sink): void {
    if (this.sinks.delete(sink) || this.waiting.delete(sink)) this.hooks.onListeners();
  }

  /** Ends every sink with `reason` and forgets the init and burst. */
  endAll(reason: SinkEndReason): void {
    this.flush();
    this.init = null;
    this.burst = [];
    this.burstSize = 0;
    this.endSinks(reason);
  }

  /**
   * Ends every listener's sink with `reason` while the broadcast goes on: the init, the burst and
   * the taps (the recorder) stay, so a listener that comes back starts as any late joiner.
   */
  endListeners(reason: SinkEndReason): void {
    if (this.endSinks(reason) > 0) this.hooks.onListeners();
  }

  /** Ends and forgets every listener's sink; returns how many there were. */
  private endSinks(reason: SinkEndReason): number {
    const all = [...this.sinks, ...this.waiting];
    this.sinks.clear();
    this.waiting.clear();
    for (const sink of all) sink.end(reason);
    return all.length;
  }
}

/** Pending bytes past this are written at once, whatever the flush interval. */
const MAX_PENDING_BYTES = 64 * 1024;

/** `bytes` as a Buffer over the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
