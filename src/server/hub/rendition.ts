/**
 * One output container of a mount (WebM for MSE players, Ogg for radio players): its init bytes,
 * the newest sync point onward (the burst a late joiner starts from), and its sinks. Each chunk is
 * produced once and the same bytes go to every sink: per-listener work is the write only.
 */
import type { MediaChunk, Sink, SinkEndReason } from './mount.js';

export type Container = 'webm' | 'ogg';

export interface RenditionHooks {
  /** A sink joined, left or was dropped. */
  onListeners(): void;
  /** A sink was dropped for being over its byte budget. */
  onSlow(): void;
}

export class Rendition {
  readonly container: Container;
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
  private readonly hooks: RenditionHooks;

  constructor(container: Container, burstBytes: number, hooks: RenditionHooks) {
    this.container = container;
    this.burstBytes = burstBytes;
    this.hooks = hooks;
  }

  get listeners(): number {
    return this.sinks.size + this.waiting.size;
  }

  get ready(): boolean {
    return this.init !== null;
  }

  /** Sets the bytes every sink gets first (WebM: up to the first Cluster; Ogg: the header pages). */
  setInit(init: Uint8Array): void {
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
    const chunk = bytes === input.bytes ? input : { bytes, syncPoint: input.syncPoint };
    const n = bytes.byteLength;
    if (chunk.syncPoint) {
      // A sync chunk larger than the cap cannot be kept: late joiners wait for the next one.
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
      // Past the burst cap since the last sync point: late joiners wait for the next one.
      this.burst = [];
      this.burstSize = 0;
    }
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
    this.hooks.onListeners();
    return true;
  }

  detach(sink: Sink): void {
    if (this.sinks.delete(sink) || this.waiting.delete(sink)) this.hooks.onListeners();
  }

  /** Ends every sink with `reason` and forgets the init and burst. */
  endAll(reason: SinkEndReason): void {
    const all = [...this.sinks, ...this.waiting];
    this.sinks.clear();
    this.waiting.clear();
    this.init = null;
    this.burst = [];
    this.burstSize = 0;
    for (const sink of all) sink.end(reason);
  }
}

/** `bytes` as a Buffer over the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
