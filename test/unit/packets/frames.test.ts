import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packetFrame, packetsHeader } from '../../../src/server/packets/frames.js';
import { PACKETS } from '../../../src/shared/protocol.js';

describe('packets output framing', () => {
  it('writes the header: magic, channels, pre-skip', () => {
    const h = packetsHeader({
      channels: 2,
      preSkip: 312,
      inputSampleRate: 48_000,
      outputGain: 0,
      mappingFamily: 0,
    } as Parameters<typeof packetsHeader>[0]);
    assert.equal(h.length, PACKETS.headerBytes);
    assert.equal(h.toString('latin1', 0, 4), 'OPK1');
    assert.equal(h.readUInt8(4), 2);
    assert.equal(h.readUInt16BE(6), 312);
  });

  it('frames a packet: length, pts (wrapping at 2^32), samples, then the bytes', () => {
    const data = new Uint8Array([0xfc, 1, 2, 3, 4]);
    const f = packetFrame({ data, pts: 2 ** 32 + 960, samples: 2880 });
    assert.equal(f.length, PACKETS.frameHeaderBytes + data.length);
    assert.equal(f.readUInt16BE(0), data.length);
    assert.equal(f.readUInt32BE(2), 960);
    assert.equal(f.readUInt16BE(6), 2880);
    assert.deepEqual([...f.subarray(PACKETS.frameHeaderBytes)], [...data]);
  });
});
