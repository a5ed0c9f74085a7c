/**
 * The low-latency player's stream ({@link PACKET_STREAM}): one header, then one frame per Opus
 * packet. Each frame is published on its own, so a late joiner starts at the newest packet.
 */
import { PACKET_STREAM } from '../../shared/protocol.js';
import type { OpusHeader, OpusPacket } from '../ogg/opus-packet.js';

export function packetStreamHeader(header: OpusHeader): Buffer {
  const b = Buffer.alloc(PACKET_STREAM.headerBytes);
  b.write(PACKET_STREAM.magic, 0, 'latin1');
  b.writeUInt8(Math.min(255, header.channels), 4);
  b.writeUInt16BE(Math.min(0xffff, header.preSkip), 6);
  return b;
}

/** One frame: header and packet in one buffer (made once, written to every low-latency listener). */
export function packetFrame(packet: OpusPacket): Buffer {
  const n = packet.data.byteLength;
  const b = Buffer.allocUnsafe(PACKET_STREAM.frameHeaderBytes + n);
  b.writeUInt16BE(n, 0);
  b.writeUInt32BE(packet.pts >>> 0, 2);
  b.writeUInt16BE(Math.min(0xffff, packet.samples), 6);
  b.set(packet.data, PACKET_STREAM.frameHeaderBytes);
  return b;
}
