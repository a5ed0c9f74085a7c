/**
 * The packets output, the low-latency player's stream (wire format {@link PACKETS}, served at
 * `/<mount>.pkt`): one header, then one frame per Opus
 * packet. The packets that one source push completes go out together, as one buffer made once and
 * written to every listener: one write per push instead of one per packet, and no added latency (the
 * last of them is no older than the push). A late joiner still starts at the newest packet
 * ({@link MediaChunk.joinAt}).
 */
import { PACKETS } from '../../shared/protocol.js';
import type { Mount } from '../hub/mount.js';
import type { MediaChunk } from '../hub/types.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';

export function packetsHeader(header: OpusHeader): Buffer {
  const b = Buffer.alloc(PACKETS.headerBytes);
  b.write(PACKETS.magic, 0, 'latin1');
  b.writeUInt8(Math.min(255, header.channels), 4);
  b.writeUInt16BE(Math.min(0xffff, header.preSkip), 6);
  return b;
}

/** One frame: header and packet in one buffer. */
export function packetFrame(packet: OpusPacket): Buffer {
  return packetFrames([packet]).bytes as Buffer;
}

/**
 * `packets` (at least one) framed one after another in one buffer: a sync chunk whose late joiners
 * start at the last frame.
 */
export function packetFrames(packets: readonly OpusPacket[]): MediaChunk {
  let size = 0;
  for (const p of packets) size += PACKETS.frameHeaderBytes + p.data.byteLength;
  const b = Buffer.allocUnsafe(size);
  let at = 0;
  let last = 0;
  for (const p of packets) {
    const n = p.data.byteLength;
    last = at;
    b.writeUInt16BE(n, at);
    b.writeUInt32BE(p.pts >>> 0, at + 2);
    b.writeUInt16BE(Math.min(0xffff, p.samples), at + 6);
    b.set(p.data, at + PACKETS.frameHeaderBytes);
    at += PACKETS.frameHeaderBytes + n;
  }
  return last === 0 ? { bytes: b, syncPoint: true } : { bytes: b, syncPoint: true, joinAt: last };
}

/**
 * A status frame (for a stream asked for with `?status=1`): samples 0, which no Opus packet has, pts
 * 0, and a StatusMessage as UTF-8 JSON for data.
 */
export function statusFrame(json: Uint8Array): Buffer {
  // Never cut in practice: a status message is well under 2 KiB (titles are capped at MAX_TITLE_CHARS).
  const n = Math.min(json.byteLength, PACKETS.maxPacketBytes);
  const b = Buffer.alloc(PACKETS.frameHeaderBytes + n);
  b.writeUInt16BE(n, 0);
  b.set(json.subarray(0, n), PACKETS.frameHeaderBytes);
  return b;
}

/** Publishes the packets one push (or one relayed chunk) completed as one chunk; none: nothing. */
export function publishPackets(mount: Mount, packets: readonly OpusPacket[]): void {
  if (packets.length > 0) mount.publish(packetFrames(packets), 'packets');
}
