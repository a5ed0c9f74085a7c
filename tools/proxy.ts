/**
 * A TCP proxy on 127.0.0.1 in front of the server, placed between a page (listener or broadcaster)
 * and the server to give it the network a phone has. This kernel has no `netem` qdisc, so the
 * conditions are applied in user space, per direction, to every chunk the proxy reads:
 *
 * - a fixed delay, plus a uniform random jitter, plus now and then a long delay (a "spike");
 * - a bandwidth cap (a token bucket: each chunk, cut into segments, leaves after the previous one);
 * - a periodic stall: nothing leaves during `forMs` at the start of every `everyMs` (all connections
 *   at once, as when a phone roams);
 * - a cut: every open connection is destroyed and new ones are refused for a while (a Wi-Fi blip).
 *
 * Order is preserved (a chunk never leaves before the one read ahead of it, as over TCP), so a late
 * chunk holds back the ones behind it. Memory is bounded: past `maxQueuedBytes` held in one
 * direction, the proxy stops reading that side (TCP back-pressure) until it drains. TLS and HTTP/2
 * pass through untouched (it only copies bytes).
 */

import net from 'node:net';
import { mulberry32 } from './bytes.js';

/** What the network does to the bytes in one direction. All fields are optional; none means loopback. */
export interface LinkConditions {
  /** Every chunk waits this long. */
  delayMs?: number;
  /** Plus a uniform random extra delay in [min, max] ms per chunk. */
  jitterMs?: readonly [number, number];
  /** Each chunk, with this probability (0..1), waits `spikeMs` more. */
  spikeProbability?: number;
  spikeMs?: number;
  /** Bytes leave at most this fast, in kbit/s. */
  bandwidthKbps?: number;
  /** Nothing leaves during the first `forMs` of every `everyMs`, counted from the proxy's start (or `setConditions`). */
  stall?: { everyMs: number; forMs: number };
}

export interface ProxyConditions {
  /** Server → client. */
  down?: LinkConditions;
  /** Client → server. */
  up?: LinkConditions;
}

export interface ProxyOptions extends ProxyConditions {
  /** Bytes one direction of one connection may hold before the proxy stops reading it. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Seed of the jitter and spike draws, so a run can be repeated. Default 1. */
  seed?: number;
}

export interface NetProxy {
  port: number;
  /** Connections opened so far (to see a page reconnect). */
  readonly accepted: number;
  /** The most bytes one direction of one connection has held (to check the cap). */
  readonly maxQueuedBytes: number;
  /** Points the proxy at the server's port (set once the server runs). */
  setTarget(port: number): void;
  /** Replaces the conditions from now on (the stall clock restarts); chunks already held keep their times. */
  setConditions(conditions: ProxyConditions): void;
  /** Destroys every open connection and refuses new ones for `refuseMs`. */
  cut(refuseMs: number): void;
  close(): Promise<void>;
}

/** Back-compat name: the proxy used only for cuts. */
export type CutProxy = NetProxy;

const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
/** A chunk is cut into segments of at most this many bytes under a bandwidth cap (about one TCP segment). */
const SEGMENT_BYTES = 1400;

/**
 * When a chunk of `bytes` read at `nowMs` may leave, given when the one ahead of it left (`prevMs`).
 * Pure, so the unit tests can check the schedule without sockets. `clockStartMs` is where the stall
 * periods are counted from.
 */
export function releaseTime(
  c: LinkConditions,
  nowMs: number,
  bytes: number,
  prevMs: number,
  draw: () => number,
  clockStartMs: number,
): number {
  let t = nowMs + (c.delayMs ?? 0);
  if (c.jitterMs) t += c.jitterMs[0] + draw() * (c.jitterMs[1] - c.jitterMs[0]);
  if (c.spikeProbability && c.spikeMs && draw() < c.spikeProbability) t += c.spikeMs;
  t = Math.max(t, prevMs);
  if (c.bandwidthKbps) t = Math.max(t, prevMs + (bytes * 8) / c.bandwidthKbps);
  if (c.stall && c.stall.forMs > 0) {
    const phase = (t - clockStartMs) % c.stall.everyMs;
    if (phase < c.stall.forMs) t += c.stall.forMs - phase;
  }
  return t;
}

/** One direction of one connection: holds chunks until their release time, in order, within a byte cap. */
class Link {
  private readonly queue: { at: number; data: Buffer }[] = [];
  private queued = 0;
  private lastRelease = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly env: {
      conditions(): LinkConditions | undefined;
      clockStartMs(): number;
      draw(): number;
      cap: number;
      onQueued(bytes: number): void;
    },
  ) {
    from.on('data', (data: Buffer) => this.take(data));
    from.on('end', () => this.whenDrained(() => to.end()));
  }

  private take(data: Buffer): void {
    const c = this.env.conditions();
    if (!c && this.queue.length === 0) {
      this.to.write(data);
      return;
    }
    const now = performance.now();
    const pieces: Buffer[] = [];
    if (c?.bandwidthKbps) {
      for (let at = 0; at < data.length; at += SEGMENT_BYTES)
        pieces.push(data.subarray(at, at + SEGMENT_BYTES));
    } else {
      pieces.push(data);
    }
    for (const piece of pieces) {
      const at = c
        ? releaseTime(c, now, piece.length, this.lastRelease, this.env.draw, this.env.clockStartMs())
        : Math.max(now, this.lastRelease);
      this.lastRelease = at;
      this.queue.push({ at, data: piece });
      this.queued += piece.length;
    }
    this.env.onQueued(this.queued);
    if (this.queued > this.env.cap && !this.paused) {
      this.paused = true;
      this.from.pause();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const head = this.queue[0] as { at: number };
    this.timer = setTimeout(() => this.release(), Math.max(0, head.at - performance.now()));
  }

  private release(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && (this.queue[0] as { at: number }).at <= now + 1) {
      const { data } = this.queue.shift() as { data: Buffer };
      this.queued -= data.length;
      if (!this.to.destroyed) this.to.write(data);
    }
    if (this.paused && this.queued <= this.env.cap / 2) {
      this.paused = false;
      this.from.resume();
    }
    if (this.queue.length === 0) this.drained?.();
    this.schedule();
  }

  private drained: (() => void) | undefined;

  private whenDrained(fn: () => void): void {
    if (this.queue.length === 0) fn();
    else this.drained = fn;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.queued = 0;
  }
}

/** Starts the proxy; with no conditions it copies bytes as they come (and can still cut). */
export async function startProxy(options: ProxyOptions = {}): Promise<NetProxy> {
  let target = 0;
  let refuseUntil = 0;
  let accepted = 0;
  let maxQueued = 0;
  let conditions: ProxyConditions = { down: options.down, up: options.up };
  let clockStart = performance.now();
  const draw = mulberry32(options.seed ?? 1);
  const cap = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  const open = new Set<net.Socket>();
  const links = new Set<Link>();
  const env = (pick: () => LinkConditions | undefined) => ({
    conditions: pick,
    clockStartMs: () => clockStart,
    draw,
    cap,
    onQueued: (bytes: number) => {
      maxQueued = Math.max(maxQueued, bytes);
    },
  });

  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil || target === 0) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(target, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    const up = new Link(
      client,
      upstream,
      env(() => conditions.up),
    );
    const down = new Link(
      upstream,
      client,
      env(() => conditions.down),
    );
    links.add(up);
    links.add(down);
    const drop = (): void => {
      up.stop();
      down.stop();
      links.delete(up);
      links.delete(down);
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get maxQueuedBytes() {
      return maxQueued;
    },
    setTarget(p) {
      target = p;
    },
    setConditions(c) {
      conditions = { down: c.down, up: c.up };
      clockStart = performance.now();
    },
    cut(refuseMs) {
      refuseUntil = Date.now() + refuseMs;
      for (const s of [...open]) s.destroy();
      open.clear();
    },
    close() {
      for (const l of links) l.stop();
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy without conditions, for tests that only cut connections. */
export function startCutProxy(): Promise<NetProxy> {
  return startProxy();
}
