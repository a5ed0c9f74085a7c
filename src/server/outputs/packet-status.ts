/**
 * Status carried in the packet stream (`/<mount>.pkt?status=1`, format PACKETS): one channel of
 * the status feed. A player reading such a stream needs no status socket while it plays, so a phone
 * on the low-latency rung holds one connection, not two: half the sockets, and most of the memory,
 * per listener.
 *
 * A listener's packets sink is wrapped ({@link PacketStatus.wrap}); after it is attached, it gets the
 * current status, then every message the feed sends, and, when the broadcast ends, an OFFLINE status
 * frame just before its stream ends. Status frames are whole frames written between whole frames,
 * so they never cut a packet.
 */
import type { Hub } from '../hub/hub.js';
import type { Sink, SinkEndReason } from '../hub/types.js';
import { statusFrame } from '../packets/frames.js';
import type { StatusChannel, StatusFeed } from './status-feed.js';
import { encodeMessage, toStatusMessage } from './status-feed.js';

export class PacketStatus implements StatusChannel {
  private readonly hub: Hub;
  private readonly feed: StatusFeed;
  private readonly sinks = new Map<string, Set<StatusSink>>();
  /** The OFFLINE frame of a mount whose broadcast is ending, made once for all its sinks. */
  private readonly farewells = new Map<string, Buffer>();

  constructor(hub: Hub, feed: StatusFeed) {
    this.hub = hub;
    this.feed = feed;
    feed.add(this);
  }

  /**
   * `sink` (a listener of `mount`'s packets output) made to carry status. Attach the result to the
   * mount, then call its `start()`; it leaves this channel when it ends.
   */
  wrap(mount: string, sink: Sink): StatusSink {
    return new StatusSink(this, mount, sink);
  }

  watchers(mount: string): number {
    return this.sinks.get(mount)?.size ?? 0;
  }

  send(mount: string, json: Buffer): void {
    const set = this.sinks.get(mount);
    if (!set) return;
    const frame = statusFrame(json);
    // A sink over its byte budget is dropped by its mount at the next packet; status is latest-wins.
    for (const s of set) s.inner.write(frame);
  }

  /** @internal */
  join(s: StatusSink): void {
    let set = this.sinks.get(s.mount);
    if (!set) {
      set = new Set();
      this.sinks.set(s.mount, set);
    }
    set.add(s);
    s.inner.write(statusFrame(this.feed.current(s.mount)));
  }

  /** @internal */
  leave(s: StatusSink): void {
    const set = this.sinks.get(s.mount);
    if (!set?.delete(s) || set.size > 0) return;
    this.sinks.delete(s.mount);
    this.farewells.delete(s.mount);
  }

  /** @internal The OFFLINE frame when `mount`'s broadcast has ended, else null. */
  farewell(mount: string): Buffer | null {
    if (this.hub.find(mount)?.state === 'live') return null;
    let frame = this.farewells.get(mount);
    if (!frame) {
      frame = statusFrame(encodeMessage(toStatusMessage(this.hub.snapshot(mount))));
      this.farewells.set(mount, frame);
    }
    return frame;
  }
}

/** A packets listener that carries status: writes go through; the end of the broadcast says OFFLINE. */
export class StatusSink implements Sink {
  readonly mount: string;
  readonly inner: Sink;
  private readonly channel: PacketStatus;
  private started = false;
  private ended = false;

  constructor(channel: PacketStatus, mount: string, inner: Sink) {
    this.channel = channel;
    this.mount = mount;
    this.inner = inner;
  }

  /** Once attached: joins the channel, and gets the current status at once. */
  start(): void {
    if (this.started || this.ended) return;
    this.started = true;
    this.channel.join(this);
  }

  write(bytes: Uint8Array): boolean {
    return this.inner.write(bytes);
  }

  end(reason: SinkEndReason): void {
    if (this.ended) return;
    this.ended = true;
    if (this.started) {
      // The broadcast ended (not the listener leaving, nor the server closing): say so, then end.
      const last = reason === 'ended' ? this.channel.farewell(this.mount) : null;
      if (last) this.inner.write(last);
      this.channel.leave(this);
    }
    this.inner.end(reason);
  }
}
