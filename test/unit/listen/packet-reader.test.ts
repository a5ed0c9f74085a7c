/** PacketReader (the listener's parser of `/<mount>.pkt`) against the server's own framing: round trip, any cut, corrupt input. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketReader } from '../../../src/listen/packet-reader.js';
import { PlayerError } from '../../../src/listen/player-error.js';
import { makeOpusHead, type OpusPacket, parseOpusHead } from '../../../src/server/opus/opus-packet.js';
import { packetFrame, packetFrames, packetsHeader } from '../../../src/server/packets/frames.js';
import { PACKETS } from '../../../src/shared/protocol.js';

const HEADER = parseOpusHead(makeOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48_000 }));

function packet(i: number, size: number): OpusPacket {
  const data = new Uint8Array(size);
  for (let b = 0; b < size; b++) data[b] = (i * 31 + b * 7) & 0xff;
  return { data, pts: 312 + i * 960, samples: 960 };
}

const PACKETS_SENT = [packet(0, 1), packet(1, 120), packet(2, 3), packet(3, 400), packet(4, 77)];

/** What the server writes to a listener: the header, one push's packets framed together, then single frames. */
function stream(): Buffer {
  return Buffer.concat([
    packetsHeader(HEADER),
    packetFrames(PACKETS_SENT.slice(0, 3)).bytes as Buffer,
    ...PACKETS_SENT.slice(3).map(packetFrame),
  ]);
}

function readAll(pushes: Uint8Array[]): { reader: PacketReader; frames: OpusPacket[] } {
  const reader = new PacketReader();
  const frames: OpusPacket[] = [];
  for (const p of pushes) frames.push(...reader.push(p));
  return { reader, frames };
}

function assertSame(frames: OpusPacket[]): void {
  assert.equal(frames.length, PACKETS_SENT.length);
  frames.forEach((f, i) => {
    const sent = PACKETS_SENT[i] as OpusPacket;
    assert.equal(f.pts, sent.pts, `pts of packet ${i}`);
    assert.equal(f.samples, sent.samples, `samples of packet ${i}`);
    assert.deepEqual([...f.data], [...sent.data], `data of packet ${i}`);
  });
}

function assertMediaError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PlayerError);
    assert.equal(err.code, 'MEDIA');
    assert.match(err.message, message);
    return true;
  });
}

describe('PacketReader', () => {
  it('reads back the header and every packet the server framed, in one push', () => {
    const { reader, frames } = readAll([stream()]);
    assert.deepEqual(reader.header, { channels: 2, preSkip: 312 });
    assertSame(frames);
  });

  it('gives the same packets when the stream is cut at any byte', () => {
    const bytes = stream();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { reader, frames } = readAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(reader.header, { channels: 2, preSkip: 312 }, `cut at ${cut}`);
      assertSame(frames);
    }
  });

  it('gives the same packets when the stream comes one byte at a time', () => {
    const bytes = stream();
    const { frames } = readAll([...bytes].map((b) => Uint8Array.of(b)));
    assertSame(frames);
  });

  it('returns no packet before a frame is complete, and no header before 8 bytes', () => {
    const bytes = stream();
    const reader = new PacketReader();
    assert.deepEqual(reader.push(bytes.subarray(0, PACKETS.headerBytes - 1)), []);
    assert.equal(reader.header, null);
    // The header and the first frame's header, without its one data byte.
    const upTo = PACKETS.headerBytes + PACKETS.frameHeaderBytes;
    assert.deepEqual(reader.push(bytes.subarray(PACKETS.headerBytes - 1, upTo)), []);
    assert.notEqual(reader.header, null);
    assert.equal(reader.push(bytes.subarray(upTo, upTo + 1)).length, 1);
  });

  it('keeps the pts as the server wrote it when it wraps past 2^32', () => {
    const wrapped = { data: Uint8Array.of(1, 2), pts: 2 ** 32 + 960, samples: 960 };
    const { frames } = readAll([packetsHeader(HEADER), packetFrame(wrapped)]);
    assert.equal(frames[0]?.pts, 960);
  });

  it('refuses a stream that does not start with the magic', () => {
    const bytes = stream();
    bytes.write('OGGS', 0, 'latin1');
    assertMediaError(() => new PacketReader().push(bytes), /not a packet stream/);
  });

  it('refuses a frame of length 0', () => {
    const bytes = stream();
    bytes.writeUInt16BE(0, PACKETS.headerBytes);
    assertMediaError(() => new PacketReader().push(bytes), /bad packet length 0/);
  });

  it('refuses a frame longer than the largest Opus packet, before its bytes arrive', () => {
    const bytes = stream();
    bytes.writeUInt16BE(PACKETS.maxPacketBytes + 1, PACKETS.headerBytes);
    const reader = new PacketReader();
    assertMediaError(
      () => reader.push(bytes.subarray(0, PACKETS.headerBytes + PACKETS.frameHeaderBytes)),
      new RegExp(`bad packet length ${PACKETS.maxPacketBytes + 1}`),
    );
  });

  it('refuses a corrupt length in a later frame after giving the frames before it', () => {
    const bytes = stream();
    const reader = new PacketReader();
    const secondFrameAt = PACKETS.headerBytes + PACKETS.frameHeaderBytes + 1;
    assert.equal(reader.push(bytes.subarray(0, secondFrameAt)).length, 1);
    const rest = Buffer.from(bytes.subarray(secondFrameAt));
    rest.writeUInt16BE(0xffff, 0);
    assertMediaError(() => reader.push(rest), /bad packet length 65535/);
  });
});
