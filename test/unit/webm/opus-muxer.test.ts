import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { OpusHeader, OpusPacket } from '../../../src/server/opus/opus-packet.js';
import { parseOpusHead } from '../../../src/server/opus/opus-packet.js';
import { NEED_MORE, readElementHeader, UNKNOWN_SIZE } from '../../../src/server/webm/ebml.js';
import {
  ID_CLUSTER,
  ID_EBML,
  ID_INFO,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TIMECODE,
  ID_TRACKS,
} from '../../../src/server/webm/ids.js';
import { WebmOpusDemuxer } from '../../../src/server/webm/opus-demuxer.js';
import type { WebmMediaChunk } from '../../../src/server/webm/opus-muxer.js';
import { DEFAULT_CLUSTER_MS, WebmOpusMuxer } from '../../../src/server/webm/opus-muxer.js';
import type { Bytes } from '../../../tools/bytes.js';
import { concatBytes } from '../../../tools/bytes.js';
import { strongestFrequency } from '../../../tools/ffmpeg.js';
import { runSplitter } from '../../../tools/webm.js';
import { decodeWebm, demuxPieces, HAS_FFMPEG, opusHead, opusPacket } from '../../helpers/opus-webm.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');
const SAMPLE_RATE = 48_000;
/** Round-trip durations may differ by this much: ffmpeg's own end trimming (DiscardPadding) is not kept. */
const DURATION_TOLERANCE_SAMPLES = 40 * 48;

const header: OpusHeader = parseOpusHead(opusHead(2, 312));

/** A run of 20 ms packets starting at `pts`. */
function packets20(count: number, pts = 0, bytes = 30): OpusPacket[] {
  return Array.from({ length: count }, (_, i) => ({
    data: opusPacket(1, bytes, i + 1),
    pts: pts + i * 960,
    samples: 960,
  }));
}

/** The element with `id` among the children of buf[start, end); its data range. */
function child(
  buf: Bytes,
  id: number,
  start = 0,
  end = buf.length,
): { start: number; end: number; size: number } {
  let pos = start;
  while (pos < end) {
    const h = readElementHeader(buf, pos);
    assert.notEqual(h, NEED_MORE, `element cut at ${pos}`);
    if (h === NEED_MORE) break;
    const dataStart = pos + h.headerLength;
    const dataEnd = h.size === UNKNOWN_SIZE ? end : dataStart + h.size;
    if (h.id === id) return { start: dataStart, end: dataEnd, size: h.size === UNKNOWN_SIZE ? -1 : h.size };
    pos = dataEnd;
  }
  assert.fail(`no element 0x${id.toString(16)} in bytes ${start}–${end}`);
}

/** The data of the element at `path` (IDs from the top), as bytes. */
function at(buf: Bytes, path: readonly number[]): Bytes {
  let range = { start: 0, end: buf.length };
  for (const id of path) range = child(buf, id, range.start, range.end);
  return buf.subarray(range.start, range.end);
}

function uint(bytes: Bytes): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

const TRACK_ENTRY = [ID_SEGMENT, ID_TRACKS, 0xae];

/** Demuxes a fixture, then muxes its packets in batches of `batch`, as an Ogg demuxer would hand them over. */
function remux(
  file: string,
  batch = 7,
): { source: ReturnType<typeof demuxPieces>; init: Bytes; chunks: WebmMediaChunk[] } {
  const source = demuxPieces([new Uint8Array(readFileSync(join(FIXTURES, file)))]);
  const muxer = new WebmOpusMuxer();
  const init = muxer.init(source.header);
  const chunks: WebmMediaChunk[] = [];
  for (let i = 0; i < source.packets.length; i += batch)
    chunks.push(...muxer.packets(source.packets.slice(i, i + batch)));
  return { source, init, chunks };
}

describe('WebmOpusMuxer', () => {
  describe('init', () => {
    const init = new WebmOpusMuxer().init(header);

    it('writes an EBML header for DocType webm, version 4, read version 2', () => {
      assert.equal(Buffer.from(at(init, [ID_EBML, 0x4282])).toString('latin1'), 'webm');
      assert.equal(uint(at(init, [ID_EBML, 0x4287])), 4);
      assert.equal(uint(at(init, [ID_EBML, 0x4285])), 2);
    });

    it('writes a Segment of unknown size holding Info: 1 ms TimecodeScale, onair as muxing and writing app', () => {
      assert.equal(child(init, ID_SEGMENT).size, -1);
      assert.equal(uint(at(init, [ID_SEGMENT, ID_INFO, 0x2ad7b1])), 1_000_000);
      assert.equal(Buffer.from(at(init, [ID_SEGMENT, ID_INFO, 0x4d80])).toString('latin1'), 'onair');
      assert.equal(Buffer.from(at(init, [ID_SEGMENT, ID_INFO, 0x5741])).toString('latin1'), 'onair');
    });

    it('writes one Opus track 1 with the OpusHead, CodecDelay = pre-skip, SeekPreRoll 80 ms, 48 kHz, channels', () => {
      assert.equal(uint(at(init, [...TRACK_ENTRY, 0xd7])), 1);
      assert.ok(uint(at(init, [...TRACK_ENTRY, 0x73c5])) > 0, 'TrackUID');
      assert.equal(uint(at(init, [...TRACK_ENTRY, 0x83])), 2);
      assert.equal(Buffer.from(at(init, [...TRACK_ENTRY, 0x86])).toString('latin1'), 'A_OPUS');
      assert.deepEqual([...at(init, [...TRACK_ENTRY, 0x63a2])], [...header.raw]);
      assert.equal(uint(at(init, [...TRACK_ENTRY, 0x56aa])), 6_500_000);
      assert.equal(uint(at(init, [...TRACK_ENTRY, 0x56bb])), 80_000_000);
      const rate = at(init, [...TRACK_ENTRY, 0xe1, 0xb5]);
      assert.equal(new DataView(rate.buffer, rate.byteOffset, rate.length).getFloat32(0), 48000);
      assert.equal(uint(at(init, [...TRACK_ENTRY, 0xe1, 0x9f])), 2);
    });

    it('ends before any Cluster and fits in 1 KiB', () => {
      assert.ok(init.length <= 1024, `${init.length} bytes`);
      const outcome = runSplitter([
        init,
        new WebmOpusMuxer().packets(packets20(1))[0]?.bytes ?? new Uint8Array(),
      ]);
      assert.deepEqual(outcome.init, init);
    });

    it('reads back through WebmOpusDemuxer as the same header', () => {
      const demuxer = new WebmOpusDemuxer();
      const back = demuxer.pushInit(init);
      assert.equal(demuxer.trackNumber, 1);
      assert.deepEqual({ ...back, raw: [...back.raw] }, { ...header, raw: [...header.raw] });
    });
  });

  describe('packets', () => {
    it('returns nothing for no packets', () => {
      assert.deepEqual(new WebmOpusMuxer().packets([]), []);
    });

    it('opens a Cluster of unknown size for the first packet, in a sync chunk that starts at its ID', () => {
      const muxer = new WebmOpusMuxer();
      muxer.init(header);
      const [chunk, ...rest] = muxer.packets(packets20(1, 48 * 1234));
      assert.ok(chunk);
      assert.equal(rest.length, 0);
      assert.equal(chunk.syncPoint, true);
      const cluster = child(chunk.bytes, ID_CLUSTER);
      assert.equal(cluster.start, 12, 'Cluster ID and an 8-byte unknown size');
      assert.equal(cluster.size, -1);
      assert.equal(uint(at(chunk.bytes, [ID_CLUSTER, ID_TIMECODE])), 1234);
    });

    it('writes SimpleBlocks on track 1 with the relative timecode and the keyframe flag', () => {
      const pkts = packets20(3, 48 * 1000);
      const [chunk] = new WebmOpusMuxer().packets(pkts);
      assert.ok(chunk);
      const blocks: Bytes[] = [];
      const cluster = child(chunk.bytes, ID_CLUSTER);
      for (let pos = cluster.start; pos < cluster.end; ) {
        const h = readElementHeader(chunk.bytes, pos);
        assert.ok(h !== NEED_MORE && h.size !== UNKNOWN_SIZE);
        if (h.id === ID_SIMPLE_BLOCK)
          blocks.push(chunk.bytes.subarray(pos + h.headerLength, pos + h.headerLength + h.size));
        pos += h.headerLength + h.size;
      }
      assert.deepEqual(
        blocks.map((b) => [b[0], (b[1] as number) * 256 + (b[2] as number), b[3]]),
        [
          [0x81, 0, 0x80],
          [0x81, 20, 0x80],
          [0x81, 40, 0x80],
        ],
      );
      assert.deepEqual(
        blocks.map((b) => [...b.subarray(4)]),
        pkts.map((p) => [...p.data]),
      );
    });

    it(`starts a new Cluster every ${DEFAULT_CLUSTER_MS} ms of audio, each in its own sync chunk`, () => {
      const chunks = new WebmOpusMuxer().packets(packets20(50));
      assert.equal(chunks.length, 10);
      for (const c of chunks) {
        assert.equal(c.syncPoint, true);
        assert.deepEqual([...c.bytes.subarray(0, 4)], [0x1f, 0x43, 0xb6, 0x75]);
      }
      assert.deepEqual(
        chunks.map((c) => uint(at(c.bytes, [ID_CLUSTER, ID_TIMECODE]))),
        [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
      );
    });

    it('cuts Clusters by clusterMs', () => {
      const chunks = new WebmOpusMuxer({ clusterMs: 250 }).packets(packets20(50));
      assert.deepEqual(
        chunks.map((c) => uint(at(c.bytes, [ID_CLUSTER, ID_TIMECODE]))),
        [0, 260, 520, 780],
      );
    });

    it('continues the open Cluster across calls in a chunk that is not a sync point', () => {
      const muxer = new WebmOpusMuxer();
      const all = packets20(8);
      const first = muxer.packets(all.slice(0, 3));
      const second = muxer.packets(all.slice(3));
      assert.deepEqual(
        first.map((c) => c.syncPoint),
        [true],
      );
      assert.deepEqual(
        second.map((c) => c.syncPoint),
        [false, true],
      );
      assert.equal(second[0]?.bytes[0], ID_SIMPLE_BLOCK);
      // The same bytes as muxing all packets in one call.
      const together = new WebmOpusMuxer().packets(all);
      assert.deepEqual(
        [...concatBytes([...first, ...second].map((c) => c.bytes))],
        [...concatBytes(together.map((c) => c.bytes))],
      );
    });

    it('builds one buffer per call and returns views of it', () => {
      const chunks = new WebmOpusMuxer().packets(packets20(30));
      assert.ok(chunks.length > 1);
      const buffer = chunks[0]?.bytes.buffer;
      let expectedOffset = 0;
      for (const c of chunks) {
        assert.equal(c.bytes.buffer, buffer);
        assert.equal(c.bytes.byteOffset, expectedOffset);
        expectedOffset += c.bytes.length;
      }
      assert.equal(buffer?.byteLength, expectedOffset);
    });

    it('starts a new Cluster when a timecode goes back or its relative timecode would not fit 16 bits', () => {
      const muxer = new WebmOpusMuxer();
      const pkts = [...packets20(2, 0), ...packets20(2, 48 * 40_000), ...packets20(1, 48 * 100)];
      const chunks = muxer.packets(pkts);
      assert.deepEqual(
        chunks.map((c) => uint(at(c.bytes, [ID_CLUSTER, ID_TIMECODE]))),
        [0, 40_000, 100],
      );
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(muxer.init(header));
      assert.equal(chunks.flatMap((c) => demuxer.pushMedia(c.bytes)).length, 5);
    });

    it('writes packets of any size with the right size width', () => {
      const sizes = [1, 122, 123, 124, 16_379, 16_380, 70_000];
      const pkts = sizes.map((n, i) => ({ data: opusPacket(1, n, i + 1), pts: i * 960, samples: 960 }));
      const muxer = new WebmOpusMuxer();
      const init = muxer.init(header);
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(init);
      const back = muxer.packets(pkts).flatMap((c) => demuxer.pushMedia(c.bytes));
      assert.deepEqual(
        back.map((p) => p.data.length),
        sizes,
      );
      assert.deepEqual(
        back.map((p) => [...p.data]),
        pkts.map((p) => [...p.data]),
      );
    });

    it('init() starts a new stream: the next packets open a Cluster', () => {
      const muxer = new WebmOpusMuxer();
      muxer.init(header);
      muxer.packets(packets20(2));
      muxer.init(header);
      assert.deepEqual(
        muxer.packets(packets20(2, 1920)).map((c) => c.syncPoint),
        [true],
      );
    });

    it('rejects a clusterMs that no int16 relative timecode can hold', () => {
      assert.throws(() => new WebmOpusMuxer({ clusterMs: 0 }), RangeError);
      assert.throws(() => new WebmOpusMuxer({ clusterMs: 40_000 }), RangeError);
    });
  });

  for (const file of ['chromium-opus.webm', 'ffmpeg-opus.webm']) {
    describe(`round trip of ${file}`, () => {
      const { source, init, chunks } = remux(file);
      const stream = concatBytes([init, ...chunks.map((c) => c.bytes)]);
      const syncOffsets: number[] = [];
      let offset = init.length;
      for (const c of chunks) {
        if (c.syncPoint) syncOffsets.push(offset);
        offset += c.bytes.length;
      }
      const dir = mkdtempSync(join(tmpdir(), 'onair-opus-muxer-'));
      after(() => rmSync(dir, { recursive: true, force: true }));

      it('passes through WebmSplitter: init ≤ 1 KiB, one sync chunk per Cluster, where the muxer put them', () => {
        const outcome = runSplitter([stream]);
        assert.ok(outcome.init && outcome.init.length <= 1024);
        assert.deepEqual(outcome.init, init);
        assert.deepEqual(outcome.syncOffsets, syncOffsets);
        assert.equal(outcome.chunks.filter((c) => c.syncPoint).length, syncOffsets.length);
        // Clusters hold 100–160 ms of audio (packets of 20 or 60 ms).
        const seconds = source.packets.length * ((source.packets[0]?.samples ?? 0) / SAMPLE_RATE);
        assert.ok(syncOffsets.length >= seconds / 0.16 && syncOffsets.length <= seconds / 0.1 + 1);
      });

      it('demuxes back to the same packets', () => {
        const back = demuxPieces([stream]);
        assert.deepEqual(
          { ...back.header, raw: [...back.header.raw] },
          { ...source.header, raw: [...source.header.raw] },
        );
        assert.equal(back.packets.length, source.packets.length);
        back.packets.forEach((p, i) => {
          const s = source.packets[i] as OpusPacket;
          assert.deepEqual([p.pts, p.samples], [s.pts, s.samples], `packet ${i}`);
          assert.ok(Buffer.from(p.data).equals(Buffer.from(s.data)), `packet ${i} data`);
        });
      });

      it('decodes with ffmpeg to the original duration and a 440 Hz tone', {
        skip: !HAS_FFMPEG && 'no ffmpeg',
      }, () => {
        const path = join(dir, 'remuxed.webm');
        writeFileSync(path, stream);
        const original = decodeWebm(join(FIXTURES, file));
        const pcm = decodeWebm(path);
        assert.ok(
          Math.abs(pcm.length - original.length) <= DURATION_TOLERANCE_SAMPLES,
          `${pcm.length} samples, original ${original.length}`,
        );
        const middle = Math.floor(pcm.length / 2);
        assert.equal(strongestFrequency(pcm.subarray(middle, middle + SAMPLE_RATE / 2)), 440);
      });

      it('decodes from the third Cluster on, as a late joiner gets it', {
        skip: !HAS_FFMPEG && 'no ffmpeg',
      }, () => {
        const third = syncOffsets[2];
        assert.ok(third !== undefined);
        const path = join(dir, 'late.webm');
        writeFileSync(path, concatBytes([init, stream.subarray(third)]));
        const pcm = decodeWebm(path);
        // The third Cluster starts at the timecode of its first block.
        const startPts = uint(at(stream.subarray(third), [ID_CLUSTER, ID_TIMECODE])) * 48;
        const expected = decodeWebm(join(FIXTURES, file)).length - startPts;
        assert.ok(
          Math.abs(pcm.length - expected) <= DURATION_TOLERANCE_SAMPLES,
          `${pcm.length} samples, expected about ${expected}`,
        );
        assert.equal(strongestFrequency(pcm.subarray(0, SAMPLE_RATE / 2)), 440);
      });
    });
  }
});
