/**
 * The packet reader against the server's own frames with status frames among the packets (a
 * `.pkt?status=1` stream): packets come out as before, each status message reaches `onStatus` in
 * order, whatever the cuts between reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketReader } from '../../../src/listen/packet-reader.js';
import { packetFrames, packetsHeader, statusFrame } from '../../../src/server/packets/frames.js';
import type { StatusMessage } from '../../../src/shared/protocol.js';

const live: StatusMessage = {
  type: 'status',
  mount: 'room',
  state: 'live',
  listeners: 3,
  startedAt: '2026-12-04T13:00:00.000Z',
  title: 'Cours de chimie — leçon 4',
  bytesIn: 1234,
};
const offline: StatusMessage = {
  ...live,
  state: 'offline',
  listeners: 0,
  startedAt: null,
  title: null,
  bytesIn: 0,
};

function stream(): Buffer {
  const packet = (pts: number) => ({ pts, samples: 960, data: new Uint8Array(40).fill(pts % 251) });
  return Buffer.concat([
    packetsHeader({ channels: 2, preSkip: 312, inputSampleRate: 48_000, outputGain: 0 } as Parameters<
      typeof packetsHeader
    >[0]),
    packetFrames([packet(0)]).bytes,
    statusFrame(Buffer.from(JSON.stringify(live))),
    packetFrames([packet(960), packet(1920)]).bytes,
    statusFrame(Buffer.from('{"type":"status","mount":')), // malformed: skipped
    statusFrame(Buffer.from(JSON.stringify(offline))),
  ]);
}

describe('PacketReader with status frames', () => {
  it('gives packets and status messages apart, at every cut', () => {
    const bytes = stream();
    for (let cut = 1; cut < bytes.length; cut++) {
      const statuses: StatusMessage[] = [];
      const reader = new PacketReader((s) => statuses.push(s));
      const frames = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => f.pts),
        [0, 960, 1920],
        `cut at ${cut}`,
      );
      assert.deepEqual(statuses, [live, offline], `cut at ${cut}`);
    }
  });

  it('ignores status frames when nobody listens for them', () => {
    const frames = new PacketReader().push(stream());
    assert.equal(frames.length, 3);
    assert.ok(frames.every((f) => f.samples === 960));
  });
});
