/** Remuxed Ogg Opus checked by the real ffmpeg: duration, pitch, and error-free decoding for late joiners. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import type { OggOutput } from '../../../src/server/ogg/demuxer.js';
import { OggOpusMuxer } from '../../../src/server/ogg/muxer.js';
import type { OpusPacket } from '../../../src/server/opus/opus-packet.js';
import type { Bytes } from '../../../tools/bytes.js';
import { concatBytes } from '../../../tools/bytes.js';
import { strongestFrequency } from '../../../tools/ffmpeg.js';
import {
  decodeOgg,
  FIXTURE_OPUS,
  listPages,
  packetsByPage,
  packetsOf,
  readFixture,
  runDemuxer,
} from '../../helpers/ogg.js';

const RATE = 48_000;
/** Packets per `packets()` call: 5 × 20 ms, one 100 ms chunk as the hub would pass them. */
const PER_CALL = 5;

function ms(samples: number): number {
  return (samples / RATE) * 1000;
}

describe('Ogg Opus through ffmpeg', () => {
  const fixture = readFixture(FIXTURE_OPUS);
  const outputs: OggOutput[] = runDemuxer([fixture]);
  const header = outputs.find((o) => o.kind === 'header');
  const tags = outputs.find((o) => o.kind === 'tags');
  const packets: OpusPacket[] = packetsOf(outputs);
  const last = outputs.filter((o) => o.kind === 'packet').at(-1);
  let original: Int16Array;

  before(() => {
    const probe = spawnSync('ffmpeg', ['-version']);
    assert.equal(probe.status, 0, 'ffmpeg must be installed (bash scripts/install-deps.sh --test)');
    assert.ok(header?.kind === 'header' && tags?.kind === 'tags');
    const decoded = decodeOgg(fixture);
    assert.equal(decoded.errors, '');
    original = decoded.samples;
  });

  function newMuxer(): OggOpusMuxer {
    assert.ok(header?.kind === 'header' && tags?.kind === 'tags');
    const muxer = new OggOpusMuxer();
    muxer.header(header.header, tags);
    return muxer;
  }

  it('decodes the fixture to 2 s of a 440 Hz tone', () => {
    assert.equal(original.length, 2 * RATE);
    assert.equal(strongestFrequency(original), 440);
  });

  it('decodes a remux in 100 ms chunks to the same duration and pitch', () => {
    const muxer = newMuxer();
    const parts = [muxer.headerPages as Bytes];
    for (let i = 0; i < packets.length; i += PER_CALL) {
      const end = i + PER_CALL >= packets.length;
      const options = end
        ? { endOfStream: true, discardSamples: last?.kind === 'packet' ? last.discardSamples : 0 }
        : {};
      parts.push(muxer.packets(packets.slice(i, i + PER_CALL), options));
    }
    const decoded = decodeOgg(concatBytes(parts));
    assert.equal(decoded.errors, '');
    assert.equal(decoded.status, 0);
    assert.ok(
      Math.abs(ms(decoded.samples.length - original.length)) <= 20,
      `${decoded.samples.length} samples`,
    );
    // Same packets, same pre-skip and end trimming: the very same samples.
    assert.equal(decoded.samples.length, original.length);
    assert.ok(Math.abs(strongestFrequency(decoded.samples) - 440) <= 5);
  });

  it('decodes a remux ended after the fact within 20 ms of the original', () => {
    const muxer = newMuxer();
    const parts = [muxer.headerPages as Bytes];
    for (const group of packetsByPage(outputs)) parts.push(muxer.packets(group.map((o) => o.packet)));
    parts.push(muxer.end());
    const decoded = decodeOgg(concatBytes(parts));
    assert.equal(decoded.errors, '');
    // Without the source's end trimming the last packet plays whole: 648 samples (13.5 ms) more.
    assert.equal(decoded.samples.length - original.length, 648);
    assert.equal(strongestFrequency(decoded.samples), 440);
  });

  it('decodes without errors for a late joiner: header pages, then pages from the middle', () => {
    const muxer = newMuxer();
    const init = muxer.headerPages as Bytes;
    const chunks = [];
    for (let i = 0; i < packets.length; i += PER_CALL)
      chunks.push(muxer.packets(packets.slice(i, i + PER_CALL)));
    const joinAt = 8; // 800 ms in
    const late = concatBytes([init, ...chunks.slice(joinAt)]);
    // The joiner's first audio page: sequence 10 after header pages 0 and 1, granule well above 0.
    const first = listPages(late)[2]?.page;
    assert.equal(first?.sequence, 2 + joinAt);
    assert.equal(first?.granule, (joinAt + 1) * PER_CALL * 960);
    const decoded = decodeOgg(late);
    assert.equal(decoded.errors, '');
    assert.equal(decoded.status, 0);
    const heard = (packets.length - joinAt * PER_CALL) * 960 - 312;
    // The decoder applies the pre-skip to the joiner's first packets.
    assert.ok(Math.abs(ms(decoded.samples.length - heard)) <= 20, `${decoded.samples.length} samples`);
    assert.equal(strongestFrequency(decoded.samples), 440);
  });

  it('decodes a chained stream (new link on a metadata change) without errors, both links in full', () => {
    assert.ok(header?.kind === 'header' && tags?.kind === 'tags');
    const muxer = newMuxer();
    const parts = [muxer.headerPages as Bytes];
    const half = 50;
    parts.push(muxer.packets(packets.slice(0, half)), muxer.end());
    parts.push(muxer.header(header.header, { vendor: tags.vendor, comments: ['TITLE=Second half'] }));
    parts.push(muxer.packets(packets.slice(half)));
    const bytes = concatBytes(parts);
    const relinked = runDemuxer([bytes]);
    assert.equal(relinked.filter((o) => o.kind === 'header').length, 2);
    const decoded = decodeOgg(bytes);
    assert.equal(decoded.errors, '');
    // Each link loses its pre-skip; the first link's end() frame is trimmed to nothing.
    const expected = packets.length * 960 - 2 * 312;
    assert.ok(Math.abs(ms(decoded.samples.length - expected)) <= 20, `${decoded.samples.length} samples`);
    assert.equal(strongestFrequency(decoded.samples), 440);
  });
});
