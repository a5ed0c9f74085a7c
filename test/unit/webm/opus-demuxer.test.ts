import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import type { OpusPacket } from '../../../src/server/opus/opus-packet.js';
import { ID_CUES, ID_TAGS, ID_VOID } from '../../../src/server/webm/ids.js';
import { DEFAULT_MAX_BLOCK_BYTES, WebmOpusDemuxer } from '../../../src/server/webm/opus-demuxer.js';
import type { Bytes } from '../../../tools/bytes.js';
import {
  byteByByte,
  concatBytes,
  mulberry32,
  randomBytes,
  randomPieces,
  splitAt,
} from '../../../tools/bytes.js';
import { ebmlElement, uintElement } from '../../../tools/webm.js';
import { assertApiError } from '../../helpers/errors.js';
import type { Lacing } from '../../helpers/opus-webm.js';
import {
  blockGroupOf,
  clusterOf,
  demuxPieces,
  FFMPEG,
  FFPROBE,
  HAS_FFMPEG,
  opusHead,
  opusInit,
  opusPacket,
  simpleBlockOf,
  trackEntry,
} from '../../helpers/opus-webm.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');
const CHROMIUM = join(FIXTURES, 'chromium-opus.webm');
// ffmpeg -f lavfi -i sine=f=440:d=2 -c:a libopus -b:a 64k -f webm -live 1 -cluster_time_limit 100 -fflags +bitexact
const FFMPEG_OPUS = join(FIXTURES, 'ffmpeg-opus.webm');
// ffmpeg -f lavfi -i sine=f=440:d=0.1 -c:a libvorbis -ac 1 -ar 8000 -q:a 0 -f webm -live 1 -fflags +bitexact
const FFMPEG_VORBIS = join(FIXTURES, 'ffmpeg-vorbis.webm');

const chromium = new Uint8Array(readFileSync(CHROMIUM));
const ffmpegOpus = new Uint8Array(readFileSync(FFMPEG_OPUS));

/** What a packet list looks like, comparable with deepEqual: pts, samples and data as hex. */
function describePackets(packets: readonly OpusPacket[]): Array<[number, number, string]> {
  return packets.map((p) => [p.pts, p.samples, Buffer.from(p.data).toString('hex')]);
}

/** Asserts two packet lists are equal: pts, samples and data bytes (cheaper than deepEqual on big lists). */
function assertSamePackets(
  actual: readonly OpusPacket[],
  expected: readonly OpusPacket[],
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: packet count`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as OpusPacket;
    const e = expected[i] as OpusPacket;
    if (a.pts !== e.pts || a.samples !== e.samples || Buffer.compare(a.data, e.data) !== 0) {
      assert.fail(
        `${label}: packet ${i} is {pts ${a.pts}, ${a.samples} samples, ${a.data.length} bytes}, ` +
          `expected {pts ${e.pts}, ${e.samples} samples, ${e.data.length} bytes}`,
      );
    }
  }
}

/** A demuxer that has read `init`, fed `media` in `pieces` (default whole); returns its packets. */
function demux(init: Bytes, media: Bytes, pieces: Bytes[] = [media]): OpusPacket[] {
  const demuxer = new WebmOpusDemuxer();
  demuxer.pushInit(init);
  const out: OpusPacket[] = [];
  for (const piece of pieces) out.push(...demuxer.pushMedia(piece));
  return out;
}

/** Asserts `media` gives the same packets whole, byte by byte, and split in two at every offset. */
function assertSplitInvariant(init: Bytes, media: Bytes): OpusPacket[] {
  const whole = demux(init, media);
  assertSamePackets(demux(init, media, byteByByte(media)), whole, 'byte by byte');
  for (let at = 0; at <= media.length; at++) {
    assertSamePackets(demux(init, media, splitAt(media, [at])), whole, `split at ${at}`);
  }
  return whole;
}

const mono20 = (seed: number, bytes = 40): Bytes => opusPacket(1, bytes, seed);

describe('WebmOpusDemuxer', () => {
  describe('on the Chromium MediaRecorder fixture', () => {
    const whole = demuxPieces([chromium]);

    it('reads the OpusHead from CodecPrivate: mono, no pre-skip', () => {
      assert.equal(whole.header.channels, 1);
      assert.equal(whole.header.preSkip, 0);
      assert.equal(whole.header.inputSampleRate, 48000);
      assert.equal(whole.header.mappingFamily, 0);
      assert.equal(whole.header.raw.length, 19);
    });

    it('returns 100 packets of 60 ms at pts 0, 2880, 5760, …', () => {
      assert.equal(whole.packets.length, 100);
      whole.packets.forEach((p, i) => {
        assert.equal(p.samples, 2880, `packet ${i} samples`);
        assert.equal(p.pts, i * 2880, `packet ${i} pts`);
      });
    });

    it('returns the packets ffmpeg reads from the file', { skip: !HAS_FFMPEG && 'no ffmpeg' }, () => {
      const probe = ['-v', 'error', '-select_streams', 'a', '-show_entries', 'packet=size', '-of', 'csv=p=0'];
      const sizes = execFileSync(FFPROBE, [...probe, CHROMIUM])
        .toString()
        .trim()
        .split('\n')
        .map(Number);
      const payload = execFileSync(FFMPEG, [
        '-v',
        'error',
        '-i',
        CHROMIUM,
        '-map',
        '0:a',
        '-c',
        'copy',
        '-f',
        'data',
        '-',
      ]);
      assert.deepEqual(
        whole.packets.map((p) => p.data.length),
        sizes,
      );
      assert.ok(Buffer.from(concatBytes(whole.packets.map((p) => p.data))).equals(payload));
    });

    it('returns the same packets when the file is fed byte by byte', () => {
      assertSamePackets(demuxPieces(byteByByte(chromium)).packets, whole.packets, 'byte by byte');
    });

    it('returns the same packets when the file is split into two pushes at every offset', () => {
      for (let at = 0; at <= chromium.length; at++) {
        assertSamePackets(demuxPieces(splitAt(chromium, [at])).packets, whole.packets, `split at ${at}`);
      }
    });

    it('returns the same packets for random multi-way splits', () => {
      for (let seed = 1; seed <= 50; seed++) {
        const rand = mulberry32(seed);
        const pieces = randomPieces(chromium, rand, 1, 1 + Math.floor(rand() * 2000));
        assertSamePackets(demuxPieces(pieces).packets, whole.packets, `seed ${seed}`);
      }
    });

    it('returns each packet on the push that completes its SimpleBlock', () => {
      const init = whole.chunks[0]?.bytes;
      assert.ok(init);
      const media = chromium.subarray(init.length);
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(init);
      const media8 = Buffer.from(media.buffer, media.byteOffset, media.length);
      let searchFrom = 0;
      for (let i = 0; i < media.length; i++) {
        for (const p of demuxer.pushMedia(media.subarray(i, i + 1))) {
          // An unlaced block ends with its packet's data.
          const at = media8.indexOf(Buffer.from(p.data), searchFrom);
          assert.equal(at + p.data.length - 1, i, `packet at pts ${p.pts} came late`);
          searchFrom = at + p.data.length;
        }
      }
    });

    it('returns views of the pushed bytes for blocks that lie in one push', () => {
      const init = whole.chunks[0]?.bytes;
      assert.ok(init);
      const media = chromium.slice(init.length);
      const packets = demux(init, media);
      for (const p of packets) assert.equal(p.data.buffer, media.buffer);
    });
  });

  describe('on an ffmpeg-made file (known-size Clusters, a BlockGroup at the end)', () => {
    const whole = demuxPieces([ffmpegOpus]);

    it('reads the OpusHead: mono, pre-skip 312', () => {
      assert.equal(whole.header.channels, 1);
      assert.equal(whole.header.preSkip, 312);
    });

    it('returns 101 packets of 20 ms at pts 0, 960, 1920, …, the last from a BlockGroup', () => {
      assert.equal(whole.packets.length, 101);
      whole.packets.forEach((p, i) => {
        assert.equal(p.samples, 960, `packet ${i} samples`);
        assert.equal(p.pts, i * 960, `packet ${i} pts`);
      });
    });

    it('returns the packets ffmpeg reads from the file', { skip: !HAS_FFMPEG && 'no ffmpeg' }, () => {
      const payload = execFileSync(FFMPEG, [
        '-v',
        'error',
        '-i',
        FFMPEG_OPUS,
        '-map',
        '0:a',
        '-c',
        'copy',
        '-f',
        'data',
        '-',
      ]);
      assert.ok(Buffer.from(concatBytes(whole.packets.map((p) => p.data))).equals(payload));
    });

    it('returns the same packets byte by byte and split at every offset', () => {
      assertSamePackets(demuxPieces(byteByByte(ffmpegOpus)).packets, whole.packets, 'byte by byte');
      for (let at = 0; at <= ffmpegOpus.length; at++) {
        assertSamePackets(demuxPieces(splitAt(ffmpegOpus, [at])).packets, whole.packets, `split at ${at}`);
      }
    });
  });

  describe('pushInit', () => {
    it('rejects a Vorbis WebM made by ffmpeg with WEBM_CORRUPT', () => {
      const vorbis = new Uint8Array(readFileSync(FFMPEG_VORBIS));
      assert.throws(
        () => demuxPieces([vorbis]),
        (err: unknown) =>
          err instanceof ApiError &&
          err.code === 'WEBM_CORRUPT' &&
          /only Opus is supported.*A_VORBIS/.test(err.message),
      );
    });

    it('rejects an A_VORBIS track with WEBM_CORRUPT', () => {
      const init = opusInit([trackEntry({ codecId: 'A_VORBIS', codecPrivate: new Uint8Array(30) })]);
      assertApiError(() => new WebmOpusDemuxer().pushInit(init), 'WEBM_CORRUPT', /only Opus is supported/);
    });

    it('rejects a stream with no audio track', () => {
      const init = opusInit([trackEntry({ type: 1, codecId: 'V_VP8', codecPrivate: null })]);
      assertApiError(() => new WebmOpusDemuxer().pushInit(init), 'WEBM_CORRUPT', /no audio track/);
    });

    it('takes the audio track next to a video track and keeps its number', () => {
      const init = opusInit([
        trackEntry({ number: 1, type: 1, codecId: 'V_VP8', codecPrivate: null }),
        trackEntry({ number: 2, codecPrivate: opusHead(2, 120) }),
      ]);
      const demuxer = new WebmOpusDemuxer();
      const header = demuxer.pushInit(init);
      assert.equal(demuxer.trackNumber, 2);
      assert.equal(header.channels, 2);
      assert.equal(header.preSkip, 120);
      assert.deepEqual(demuxer.header, header);
    });

    it('builds the OpusHead from Channels, SamplingFrequency and CodecDelay when CodecPrivate is missing', () => {
      const init = opusInit([
        trackEntry({ codecPrivate: null, channels: 2, samplingFrequency: 44100, codecDelayNs: 6_500_000 }),
      ]);
      const header = new WebmOpusDemuxer().pushInit(init);
      assert.equal(header.channels, 2);
      assert.equal(header.preSkip, 312);
      assert.equal(header.inputSampleRate, 44100);
      assert.equal(header.mappingFamily, 0);
      assert.deepEqual([...header.raw.subarray(0, 8)], [...Buffer.from('OpusHead')]);
    });

    it('defaults to mono and no pre-skip when the track says nothing', () => {
      const header = new WebmOpusDemuxer().pushInit(opusInit([trackEntry({ codecPrivate: null })]));
      assert.equal(header.channels, 1);
      assert.equal(header.preSkip, 0);
    });

    it('rejects a missing CodecPrivate with more than 2 channels', () => {
      const init = opusInit([trackEntry({ codecPrivate: null, channels: 6 })]);
      assertApiError(() => new WebmOpusDemuxer().pushInit(init), 'WEBM_CORRUPT', /6 channels/);
    });

    it('rejects a CodecPrivate that is not an OpusHead with WEBM_CORRUPT', () => {
      const init = opusInit([trackEntry({ codecPrivate: new Uint8Array(19) })]);
      assertApiError(() => new WebmOpusDemuxer().pushInit(init), 'WEBM_CORRUPT', /CodecPrivate/);
    });

    it('rejects a truncated init segment', () => {
      const init = opusInit();
      for (let cut = 1; cut < init.length; cut++) {
        assert.throws(
          () => new WebmOpusDemuxer().pushInit(init.subarray(0, cut)),
          (err: unknown) => err instanceof ApiError && err.code === 'WEBM_CORRUPT',
          `cut at ${cut}`,
        );
      }
    });

    it('rejects a second init segment', () => {
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(opusInit());
      assertApiError(() => demuxer.pushInit(opusInit()), 'WEBM_CORRUPT', /already/);
    });
  });

  describe('blocks', () => {
    const init = opusInit();

    for (const lacing of ['xiph', 'ebml', 'fixed'] as Lacing[]) {
      it(`returns one packet per frame of a ${lacing}-laced block, counting pts through them`, () => {
        // Sizes around 255 exercise Xiph's multi-byte sizes and EBML's signed differences.
        const sizes = lacing === 'fixed' ? [100, 100, 100, 100] : [300, 254, 255, 40, 700];
        const frames = sizes.map((n, i) => opusPacket(3, n, i + 1));
        const media = clusterOf(0, [
          simpleBlockOf(1, 0, frames, lacing),
          simpleBlockOf(1, (2880 * frames.length) / 48, [mono20(99)]),
        ]);
        const packets = assertSplitInvariant(init, media);
        assert.deepEqual(
          describePackets(packets),
          describePackets([
            ...frames.map((data, i) => ({ data, pts: i * 2880, samples: 2880 })),
            { data: mono20(99), pts: frames.length * 2880, samples: 960 },
          ]),
        );
      });
    }

    it('rejects lacing whose sizes run past the end of the block', () => {
      // Two Xiph-laced frames, the first declared 300 bytes long, in a 17-byte block.
      const block = ebmlElement(
        0xa3,
        concatBytes([Uint8Array.of(0x81, 0, 0, 0x82, 1, 255, 45), mono20(1, 10)]),
      );
      assertApiError(() => demux(init, clusterOf(0, [block])), 'WEBM_CORRUPT', /Xiph lacing runs past/);
    });

    it('rejects fixed lacing that does not divide the block evenly', () => {
      const block = simpleBlockOf(1, 0, [mono20(1, 10), mono20(2, 11)], 'fixed');
      assertApiError(() => demux(init, clusterOf(0, [block])), 'WEBM_CORRUPT', /equal frames/);
    });

    it('skips blocks of other tracks, however large, without holding them', () => {
      const big = new Uint8Array(DEFAULT_MAX_BLOCK_BYTES * 2);
      const twoTracks = opusInit([
        trackEntry({ number: 1 }),
        trackEntry({ number: 2, type: 1, codecId: 'V_VP8' }),
      ]);
      const media = clusterOf(0, [
        simpleBlockOf(1, 0, [mono20(1)]),
        simpleBlockOf(2, 0, [big]),
        simpleBlockOf(2, 10, [mono20(5)]),
        simpleBlockOf(1, 20, [mono20(2)]),
      ]);
      const packets = demux(twoTracks, media, randomPieces(media, mulberry32(7), 1000, 70000));
      assert.deepEqual(
        packets.map((p) => [p.pts, Buffer.from(p.data).toString('hex')]),
        [
          [0, Buffer.from(mono20(1)).toString('hex')],
          [960, Buffer.from(mono20(2)).toString('hex')],
        ],
      );
    });

    it('reads Blocks inside BlockGroups', () => {
      const media = clusterOf(0, [
        simpleBlockOf(1, 0, [mono20(1)]),
        blockGroupOf(1, 20, [mono20(2)]),
        blockGroupOf(2, 20, [mono20(3)]),
        simpleBlockOf(1, 40, [mono20(4)]),
      ]);
      const packets = assertSplitInvariant(init, media);
      assert.deepEqual(
        describePackets(packets),
        describePackets([1, 2, 4].map((seed, i) => ({ data: mono20(seed), pts: i * 960, samples: 960 }))),
      );
    });

    it('reads Clusters of known and unknown size, with Void, Cues and Tags between them', () => {
      const media = concatBytes([
        clusterOf(0, [simpleBlockOf(1, 0, [mono20(1)]), ebmlElement(ID_VOID, new Uint8Array(5))], false),
        ebmlElement(ID_VOID, new Uint8Array(3)),
        clusterOf(20, [simpleBlockOf(1, 0, [mono20(2)])], true),
        clusterOf(40, [simpleBlockOf(1, 0, [mono20(3)])], false),
        clusterOf(60, [simpleBlockOf(1, 0, [mono20(4)])], true),
        ebmlElement(ID_CUES, ebmlElement(0xbb, uintElement(0xb3, 0))),
        ebmlElement(ID_TAGS, ebmlElement(0x7373, new Uint8Array(8))),
      ]);
      const packets = assertSplitInvariant(init, media);
      assert.deepEqual(
        packets.map((p) => p.pts),
        [0, 960, 1920, 2880],
      );
    });

    it('rejects a block before its Cluster Timecode', () => {
      const media = concatBytes([
        Uint8Array.of(0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
        simpleBlockOf(1, 0, [mono20(1)]),
      ]);
      assertApiError(() => demux(init, media), 'WEBM_CORRUPT', /before its Cluster's Timecode/);
    });

    it('rejects a SimpleBlock outside any Cluster', () => {
      assertApiError(
        () => demux(init, simpleBlockOf(1, 0, [mono20(1)])),
        'WEBM_CORRUPT',
        /outside any Cluster/,
      );
    });

    it('rejects a block that is not an Opus packet', () => {
      const media = clusterOf(0, [simpleBlockOf(1, 0, [new Uint8Array(0)])]);
      assertApiError(() => demux(init, media), 'WEBM_CORRUPT', /not a valid Opus packet/);
    });

    it('rejects an Opus block over maxBlockBytes with WEBM_ELEMENT_TOO_LARGE', () => {
      const demuxer = new WebmOpusDemuxer({ maxBlockBytes: 1000 });
      demuxer.pushInit(init);
      assert.equal(demuxer.pushMedia(clusterOf(0, [simpleBlockOf(1, 0, [mono20(1, 996)])])).length, 1);
      const big = simpleBlockOf(1, 20, [mono20(2, 997)]);
      assertApiError(
        () => demuxer.pushMedia(big.subarray(0, 10)),
        'WEBM_ELEMENT_TOO_LARGE',
        /1000-byte limit/,
      );
    });

    it('holds only the incomplete block between pushes', () => {
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(init);
      const block = simpleBlockOf(1, 0, [mono20(1, 500)]);
      const media = clusterOf(0, [block]);
      assert.deepEqual(demuxer.pushMedia(media.subarray(0, media.length - 1)), []);
      const [packet] = demuxer.pushMedia(media.subarray(media.length - 1));
      assert.ok(packet);
      assert.equal(packet.data.buffer.byteLength, 500, 'the held copy is the packet, nothing more');
    });
  });

  describe('pts', () => {
    const init = opusInit();

    it('starts at 0 whatever the first timecode', () => {
      const media = clusterOf(123_456, [
        simpleBlockOf(1, -6, [mono20(1)]),
        simpleBlockOf(1, 14, [mono20(2)]),
      ]);
      assert.deepEqual(
        demux(init, media).map((p) => p.pts),
        [0, 960],
      );
    });

    it('counts samples when ms timecodes cannot say where a 2.5 ms packet starts', () => {
      const blocks: Bytes[] = [];
      for (let i = 0; i < 40; i++) {
        const p = mono20(i + 1, 10);
        p[0] = 0x80; // TOC config 16: CELT narrowband, 2.5 ms = 120 samples.
        blocks.push(simpleBlockOf(1, Math.floor(i * 2.5), [p]));
      }
      const packets = demux(init, clusterOf(0, blocks));
      assert.deepEqual(
        packets.map((p) => [p.pts, p.samples]),
        blocks.map((_, i) => [i * 120, 120]),
      );
    });

    it('keeps counting when timecodes jitter by less than 40 ms', () => {
      const rand = mulberry32(3);
      const blocks: Bytes[] = [];
      for (let i = 0; i < 50; i++) {
        blocks.push(simpleBlockOf(1, i * 60 + Math.round((rand() - 0.5) * 30), [opusPacket(3, 50, i + 1)]));
      }
      const packets = demux(init, clusterOf(1000, blocks));
      assert.deepEqual(
        packets.map((p) => p.pts),
        blocks.map((_, i) => i * 2880),
      );
    });

    it('follows the timecode across a gap of more than 40 ms', () => {
      const media = concatBytes([
        clusterOf(0, [simpleBlockOf(1, 0, [mono20(1)]), simpleBlockOf(1, 20, [mono20(2)])]),
        // Next packet is due at 40 ms: 60 ms is within 40 ms of it, 500 ms is a gap.
        clusterOf(60, [simpleBlockOf(1, 0, [mono20(3)])]),
        clusterOf(500, [simpleBlockOf(1, 0, [mono20(4)]), simpleBlockOf(1, 20, [mono20(5)])]),
      ]);
      assert.deepEqual(
        demux(init, media).map((p) => p.pts),
        [0, 960, 1920, 500 * 48, 500 * 48 + 960],
      );
    });

    it('stays monotonic when timecodes go back, and measures later gaps from there', () => {
      const media = concatBytes([
        clusterOf(10_000, [simpleBlockOf(1, 0, [mono20(1)]), simpleBlockOf(1, 20, [mono20(2)])]),
        clusterOf(2_000, [simpleBlockOf(1, 0, [mono20(3)]), simpleBlockOf(1, 20, [mono20(4)])]),
        clusterOf(2_040, [simpleBlockOf(1, 0, [mono20(5)])]),
        clusterOf(3_000, [simpleBlockOf(1, 0, [mono20(6)])]),
      ]);
      assert.deepEqual(
        demux(init, media).map((p) => p.pts),
        [0, 960, 1920, 2880, 3840, 3840 + 960 * 48],
      );
    });

    it('converts timecodes with the Info TimecodeScale', () => {
      const scaled = opusInit([trackEntry()], 500_000); // 0.5 ms ticks
      const media = concatBytes([
        clusterOf(0, [simpleBlockOf(1, 0, [mono20(1)])]),
        // 1000 ticks = 500 ms: a gap.
        clusterOf(1000, [simpleBlockOf(1, 0, [mono20(2)]), simpleBlockOf(1, 40, [mono20(3)])]),
      ]);
      assert.deepEqual(
        demux(scaled, media).map((p) => p.pts),
        [0, 24_000, 24_960],
      );
    });
  });

  describe('errors', () => {
    it('rejects media before the init segment', () => {
      assertApiError(
        () => new WebmOpusDemuxer().pushMedia(clusterOf(0, [])),
        'WEBM_CORRUPT',
        /before the init/,
      );
    });

    it('rejects a second EBML header inside the media', () => {
      const init = opusInit();
      assertApiError(
        () => demux(init, concatBytes([clusterOf(0, []), init])),
        'WEBM_CORRUPT',
        /second EBML header/,
      );
    });

    it('rejects a Cluster child that runs past its known-size Cluster', () => {
      const inner = simpleBlockOf(1, 0, [mono20(1)]);
      const media = concatBytes([Uint8Array.of(0x1f, 0x43, 0xb6, 0x75, 0x85), uintElement(0xe7, 0), inner]);
      assertApiError(() => demux(opusInit(), media), 'WEBM_CORRUPT', /runs past the end of its Cluster/);
    });

    it('keeps failing after a failure', () => {
      const demuxer = new WebmOpusDemuxer();
      demuxer.pushInit(opusInit());
      assertApiError(() => demuxer.pushMedia(Uint8Array.of(0x00)), 'WEBM_CORRUPT');
      assertApiError(() => demuxer.pushMedia(clusterOf(0, [])), 'WEBM_CORRUPT', /earlier error/);
    });

    it('throws nothing but WEBM_CORRUPT or WEBM_ELEMENT_TOO_LARGE on garbage and damaged files', () => {
      const allowed = new Set(['WEBM_CORRUPT', 'WEBM_ELEMENT_TOO_LARGE']);
      const check = (label: string, fn: () => void): void => {
        try {
          fn();
        } catch (err) {
          assert.ok(err instanceof ApiError, `${label}: threw ${String(err)}`);
          assert.ok(allowed.has(err.code), `${label}: ${err.code} ${err.message}`);
        }
      };
      const init = demuxPieces([chromium]).chunks[0]?.bytes;
      assert.ok(init);
      const media = chromium.subarray(init.length);
      for (let seed = 1; seed <= 300; seed++) {
        const rand = mulberry32(seed);
        // Random bytes after a valid init, and a valid start followed by random bytes.
        check(`garbage ${seed}`, () => {
          demux(init, randomBytes(1 + Math.floor(rand() * 2000), rand));
        });
        check(`tail ${seed}`, () => {
          demux(init, concatBytes([media.subarray(0, Math.floor(rand() * 3000)), randomBytes(500, rand)]));
        });
        // The real file with a few bytes changed, in init or media, fed in random pieces.
        const damaged = chromium.slice();
        for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
          damaged[Math.floor(rand() * damaged.length)] = (rand() * 256) | 0;
        }
        check(`damaged ${seed}`, () => {
          const demuxer = new WebmOpusDemuxer({ maxBlockBytes: 4096 });
          demuxer.pushInit(damaged.subarray(0, init.length));
          for (const piece of randomPieces(damaged.subarray(init.length), rand, 1, 700))
            demuxer.pushMedia(piece);
        });
        check(`random init ${seed}`, () => {
          new WebmOpusDemuxer().pushInit(randomBytes(Math.floor(rand() * 300), rand));
        });
      }
    });

    it('rejects a non-positive maxBlockBytes with a RangeError', () => {
      assert.throws(() => new WebmOpusDemuxer({ maxBlockBytes: 0 }), RangeError);
    });
  });
});
