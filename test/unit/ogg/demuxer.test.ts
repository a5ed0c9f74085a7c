import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import type { OggOutput } from '../../../src/server/ogg/demuxer.js';
import { DEFAULT_MAX_PACKET_BYTES, OggOpusDemuxer } from '../../../src/server/ogg/demuxer.js';
import { MAX_SINGLE_PAGE_PACKET, writePage } from '../../../src/server/ogg/page.js';
import { makeOpusTags } from '../../../src/server/opus/opus-packet.js';
import type { Bytes } from '../../../tools/bytes.js';
import {
  byteByByte,
  concatBytes,
  equalBytes,
  mulberry32,
  randomBytes,
  randomPieces,
} from '../../../tools/bytes.js';
import { assertApiError } from '../../helpers/errors.js';
import {
  describeOutputs,
  FIXTURE_OPUS,
  FIXTURE_VORBIS,
  FLAG_BOS,
  FLAG_CONTINUED,
  FLAG_EOS,
  listPages,
  makeLink,
  opusPacket,
  packetsOf,
  rawPage,
  readFixture,
  runDemuxer,
  sameOutputs,
  TEST_HEAD,
  TOC_20MS,
} from '../../helpers/ogg.js';

type PacketOutput = Extract<OggOutput, { kind: 'packet' }>;

function ofKind<K extends OggOutput['kind']>(outputs: readonly OggOutput[], kind: K) {
  return outputs.filter((o): o is Extract<OggOutput, { kind: K }> => o.kind === kind);
}

function header(serial: number, sequence = 0): Bytes {
  return writePage({ headerType: FLAG_BOS, granule: 0, serial, sequence }, [TEST_HEAD]);
}

function tags(serial: number, sequence = 1, comments: string[] = []): Bytes {
  return writePage({ granule: 0, serial, sequence }, [makeOpusTags('v', comments)]);
}

const fixture = readFixture(FIXTURE_OPUS);

describe('OggOpusDemuxer', () => {
  describe('on the ffmpeg fixture', () => {
    const outputs = runDemuxer([fixture]);

    it('emits the header, the tags, then every audio packet and page', () => {
      assert.equal(outputs[0]?.kind, 'header');
      assert.equal(outputs[1]?.kind, 'tags');
      assert.deepEqual(
        outputs.slice(2).map((o) => o.kind === 'packet' || o.kind === 'page'),
        new Array(outputs.length - 2).fill(true),
      );
      const [h] = ofKind(outputs, 'header');
      assert.equal(h?.header.channels, 1);
      assert.equal(h?.header.preSkip, 312);
      assert.equal(h?.serial, listPages(fixture)[0]?.page.serial);
      const [t] = ofKind(outputs, 'tags');
      assert.match(t?.vendor ?? '', /^Lavf/);
      assert.deepEqual(t?.comments, ['encoder=Lavc59.37.100 libopus']);
      assert.equal(ofKind(outputs, 'packet').length, 101);
      assert.equal(ofKind(outputs, 'page').length, 21);
    });

    it('counts pts from 0 in packet samples, trimming the end as the last granule position says', () => {
      const packets = ofKind(outputs, 'packet');
      let pts = 0;
      for (const p of packets) {
        assert.equal(p.packet.pts, pts);
        assert.equal(p.packet.samples, 960);
        pts += p.packet.samples;
      }
      assert.equal(pts, 96960);
      const last = packets.at(-1) as PacketOutput;
      // ffmpeg's last granule is 96312 = 2 s + 312 pre-skip: the last packet plays 960 - 648 samples.
      assert.equal(last.endOfStream, true);
      assert.equal(last.discardSamples, 648);
      assert.equal(packets.filter((p) => p.endOfStream || p.discardSamples).length, 1);
    });

    it('gives back the input byte for byte as header pages plus audio pages', () => {
      const [t] = ofKind(outputs, 'tags');
      const pages = ofKind(outputs, 'page').map((p) => p.bytes);
      assert.ok(equalBytes(concatBytes([t?.headerPages as Bytes, ...pages]), fixture));
    });

    it('marks each audio page a sync point unless it continues a packet', () => {
      for (const p of ofKind(outputs, 'page')) {
        assert.equal(p.syncPoint, ((p.bytes[5] as number) & FLAG_CONTINUED) === 0);
      }
    });

    it('gives the same outputs whole, byte by byte, and in random pieces', () => {
      const whole = describeOutputs(outputs);
      assert.deepEqual(describeOutputs(runDemuxer(byteByByte(fixture))), whole);
      for (let seed = 1; seed <= 20; seed++) {
        const pieces = randomPieces(fixture, mulberry32(seed), 1, 3000);
        assert.deepEqual(describeOutputs(runDemuxer(pieces)), whole, `seed ${seed}`);
      }
    });

    it('gives the same outputs when split in two at every offset', () => {
      for (let at = 1; at < fixture.length; at++) {
        const got = runDemuxer([fixture.subarray(0, at), fixture.subarray(at)]);
        // Cheap check first; deepEqual for a readable diff when it fails.
        if (!sameOutputs(got, outputs)) {
          assert.deepEqual(describeOutputs(got), describeOutputs(outputs), `split at ${at}`);
        }
      }
    });

    it('tracks the next pts, the header and the header pages', () => {
      const demuxer = new OggOpusDemuxer();
      const before = demuxer.header;
      assert.equal(before, null);
      demuxer.push(fixture.subarray(0, 200));
      assert.equal(demuxer.header?.preSkip, 312);
      assert.equal(demuxer.headerPages?.length, 137);
      demuxer.push(fixture.subarray(200));
      assert.equal(demuxer.nextPts, 96960);
      assert.equal(demuxer.granuleJumps, 0);
      assert.equal(demuxer.bytesIn, fixture.length);
    });

    it('returns nothing for an empty push', () => {
      const demuxer = new OggOpusDemuxer();
      assert.deepEqual(demuxer.push(new Uint8Array(0)), []);
      assert.equal(demuxer.push(fixture).length, outputs.length);
    });
  });

  describe('on synthetic streams', () => {
    it('reassembles packets continued across pages, whatever the push boundaries', () => {
      const big = opusPacket(150_000, 3); // three pages: 65025 + 65025 + 19950
      const small = opusPacket(600, 4);
      const tail = opusPacket(40, 5);
      const s = 9;
      const stream = concatBytes([
        header(s),
        tags(s),
        rawPage({ serial: s, sequence: 2 }, new Array(255).fill(255), big.subarray(0, 65025)),
        rawPage(
          { serial: s, sequence: 3, headerType: FLAG_CONTINUED },
          new Array(255).fill(255),
          big.subarray(65025, 130050),
        ),
        // The big packet ends, the 600-byte one starts and breaks off after 510 bytes.
        rawPage(
          { serial: s, sequence: 4, headerType: FLAG_CONTINUED, granule: 960 },
          [...new Array(78).fill(255), 19950 - 78 * 255, 255, 255],
          concatBytes([big.subarray(130050), small.subarray(0, 510)]),
        ),
        rawPage(
          { serial: s, sequence: 5, headerType: FLAG_CONTINUED, granule: 2880 },
          [90, 40],
          concatBytes([small.subarray(510), tail]),
        ),
      ]);
      const outputs = runDemuxer([stream]);
      const packets = packetsOf(outputs);
      assert.equal(packets.length, 3);
      assert.ok(equalBytes(packets[0]?.data as Bytes, big));
      assert.ok(equalBytes(packets[1]?.data as Bytes, small));
      assert.ok(equalBytes(packets[2]?.data as Bytes, tail));
      assert.deepEqual(
        packets.map((p) => p.pts),
        [0, 960, 1920],
      );
      assert.deepEqual(
        ofKind(outputs, 'page').map((p) => p.syncPoint),
        [true, false, false, false],
      );
      const whole = describeOutputs(outputs);
      for (let seed = 1; seed <= 10; seed++) {
        assert.deepEqual(describeOutputs(runDemuxer(randomPieces(stream, mulberry32(seed), 1, 9000))), whole);
      }
    });

    it('gives the same outputs when a small stream with continued packets is split at every offset', () => {
      const s = 4;
      const a = opusPacket(700, 1);
      const stream = concatBytes([
        header(s),
        tags(s, 1, ['TITLE=split']),
        rawPage({ serial: s, sequence: 2 }, [255, 255], a.subarray(0, 510)),
        rawPage(
          { serial: s, sequence: 3, headerType: FLAG_CONTINUED, granule: 1920 },
          [190, 3],
          concatBytes([a.subarray(510), opusPacket(3, 2)]),
        ),
        writePage({ serial: s, sequence: 4, granule: 2880, headerType: FLAG_EOS }, [opusPacket(255, 3)]),
      ]);
      const whole = describeOutputs(runDemuxer([stream]));
      assert.equal(packetsOf(runDemuxer([stream])).length, 3);
      for (let first = 1; first < stream.length; first++) {
        for (const second of [first + 1, first + 27, stream.length]) {
          if (second > stream.length) continue;
          const pieces = [stream.subarray(0, first), stream.subarray(first, second), stream.subarray(second)];
          assert.deepEqual(describeOutputs(runDemuxer(pieces)), whole, `cut at ${first} and ${second}`);
        }
      }
    });

    it('reads a comment header that spans pages and relays all its pages', () => {
      const s = 12;
      const comment = `METADATA_BLOCK_PICTURE=${'A'.repeat(70_000)}`;
      const raw = makeOpusTags('v', ['TITLE=big', comment]);
      const lacing = [...new Array(Math.floor(raw.length / 255)).fill(255), raw.length % 255];
      const stream = concatBytes([
        header(s),
        rawPage({ serial: s, sequence: 1 }, lacing.slice(0, 255), raw.subarray(0, 255 * 255)),
        rawPage(
          { serial: s, sequence: 2, headerType: FLAG_CONTINUED, granule: 0 },
          lacing.slice(255),
          raw.subarray(255 * 255),
        ),
        writePage({ serial: s, sequence: 3, granule: 960 }, [opusPacket(100)]),
      ]);
      const outputs = runDemuxer([stream]);
      const [t] = ofKind(outputs, 'tags');
      assert.deepEqual(t?.comments, ['TITLE=big', comment]);
      const pages = listPages(stream);
      assert.equal(
        t?.headerPages.length,
        (pages[0]?.bytes.length ?? 0) + (pages[1]?.bytes.length ?? 0) + (pages[2]?.bytes.length ?? 0),
      );
      assert.equal(packetsOf(outputs).length, 1);
    });

    it('starts a new link on a chained stream and keeps pts rising', () => {
      const one = makeLink({ serial: 1, pages: [[100, 100], [100]], eos: true, discardSamples: 500 });
      const two = makeLink({ serial: 2, pages: [[50, 50, 50]], comments: ['TITLE=next'], seed: 2 });
      const outputs = runDemuxer([concatBytes([one.bytes, two.bytes])]);
      assert.deepEqual(
        outputs.filter((o) => o.kind === 'header' || o.kind === 'tags').map((o) => o.kind),
        ['header', 'tags', 'header', 'tags'],
      );
      assert.deepEqual(
        ofKind(outputs, 'header').map((h) => h.serial),
        [1, 2],
      );
      const tagOutputs = ofKind(outputs, 'tags');
      assert.deepEqual(tagOutputs[1]?.comments, ['TITLE=next']);
      assert.ok(equalBytes(tagOutputs[1]?.headerPages as Bytes, two.headerPages));
      const packets = ofKind(outputs, 'packet');
      assert.deepEqual(
        packets.map((p) => p.packet.pts),
        [0, 960, 1920, 2880, 3840, 4800],
      );
      assert.equal(packets[2]?.endOfStream, true);
      assert.equal(packets[2]?.discardSamples, 500);
      assert.deepEqual(
        packets.map((p) => p.packet.data),
        [...one.packets, ...two.packets],
      );
    });

    it('starts a new link at a beginning-of-stream page even without an end-of-stream page before it', () => {
      const one = makeLink({ serial: 1, pages: [[100]] });
      const two = makeLink({ serial: 2, pages: [[100]] });
      const outputs = runDemuxer([concatBytes([one.bytes, two.bytes])]);
      assert.equal(ofKind(outputs, 'header').length, 2);
      assert.deepEqual(
        packetsOf(outputs).map((p) => p.pts),
        [0, 960],
      );
      assert.equal(ofKind(outputs, 'packet')[0]?.endOfStream, undefined);
    });

    it('skips the pages of other logical streams grouped with the Opus one', () => {
      const link = makeLink({ serial: 5, pages: [[10, 20], [30]] });
      const pages = listPages(link.bytes).map((p) => p.bytes);
      const vorbisBos = writePage({ headerType: FLAG_BOS, granule: 0, serial: 6, sequence: 0 }, [
        Uint8Array.of(1, 0x76, 0x6f, 0x72, 0x62, 0x69, 0x73, 0, 0, 0, 0),
      ]);
      const other = (sequence: number) =>
        writePage({ granule: sequence, serial: 6, sequence }, [new Uint8Array(50)]);
      const grouped = concatBytes([
        pages[0] as Bytes,
        vorbisBos,
        pages[1] as Bytes,
        other(1),
        pages[2] as Bytes,
        other(2),
        other(3),
        pages[3] as Bytes,
      ]);
      const expected = describeOutputs(runDemuxer([link.bytes]));
      assert.deepEqual(describeOutputs(runDemuxer([grouped])), expected);
    });

    it('counts pts from 0 for a stream joined mid-way, without calling it a jump', () => {
      const demuxer = new OggOpusDemuxer();
      const link = makeLink({ serial: 3, pages: [[100, 100], [100], [100]], granuleOffset: 480_000 });
      const packets = packetsOf(demuxer.push(link.bytes));
      assert.deepEqual(
        packets.map((p) => p.pts),
        [0, 960, 1920, 2880],
      );
      assert.equal(demuxer.granuleJumps, 0);
    });

    it('counts a granule position that disagrees with the samples, and keeps counting pts', () => {
      const s = 8;
      const demuxer = new OggOpusDemuxer();
      const outputs = demuxer.push(
        concatBytes([
          header(s),
          tags(s),
          writePage({ serial: s, sequence: 2, granule: 960 }, [opusPacket(10)]),
          writePage({ serial: s, sequence: 3, granule: 96_000 }, [opusPacket(10)]), // jump
          writePage({ serial: s, sequence: 4, granule: 96_960 }, [opusPacket(10)]), // consistent again
          rawPage({ serial: s, sequence: 5 }, [10], opusPacket(10)), // a packet ends, granule -1
        ]),
      );
      assert.deepEqual(
        packetsOf(outputs).map((p) => p.pts),
        [0, 960, 1920, 2880],
      );
      assert.equal(demuxer.granuleJumps, 2);
    });

    it('drops the packet a lost page was carrying and goes on', () => {
      const s = 2;
      const a = opusPacket(600, 1);
      const b = opusPacket(50, 2);
      const stream = concatBytes([
        header(s),
        tags(s),
        writePage({ serial: s, sequence: 2, granule: 960 }, [opusPacket(20, 3)]),
        rawPage({ serial: s, sequence: 3 }, [255], a.subarray(0, 255)),
        // Page 4 (the middle of `a`) is lost.
        rawPage(
          { serial: s, sequence: 5, headerType: FLAG_CONTINUED, granule: 2880 },
          [90, 50],
          concatBytes([a.subarray(510), b]),
        ),
      ]);
      const outputs = runDemuxer([stream]);
      const packets = packetsOf(outputs);
      assert.equal(packets.length, 2);
      assert.ok(equalBytes(packets[1]?.data as Bytes, b));
      assert.equal(packets[1]?.pts, 960);
      assert.equal(ofKind(outputs, 'page').length, 3);
    });

    it('drops an unfinished packet when the next page does not continue it', () => {
      const s = 2;
      const stream = concatBytes([
        header(s),
        tags(s),
        rawPage({ serial: s, sequence: 2 }, [255], opusPacket(255, 1)),
        writePage({ serial: s, sequence: 3, granule: 960 }, [opusPacket(30, 2)]),
      ]);
      const packets = packetsOf(runDemuxer([stream]));
      assert.equal(packets.length, 1);
      assert.equal(packets[0]?.data.length, 30);
    });

    it('accepts a packet of exactly the largest single-page size and one just over, across two pages', () => {
      const s = 3;
      const max = opusPacket(MAX_SINGLE_PAGE_PACKET, 1);
      const over = opusPacket(255 * 255, 2); // 255 values of 255, then a 0 terminator on the next page
      const stream = concatBytes([
        header(s),
        tags(s),
        writePage({ serial: s, sequence: 2, granule: 960 }, [max]),
        rawPage({ serial: s, sequence: 3 }, new Array(255).fill(255), over),
        rawPage(
          { serial: s, sequence: 4, headerType: FLAG_CONTINUED, granule: 1920 },
          [0],
          new Uint8Array(0),
        ),
      ]);
      const packets = packetsOf(runDemuxer([stream]));
      assert.equal(packets.length, 2);
      assert.ok(equalBytes(packets[0]?.data as Bytes, max));
      assert.ok(equalBytes(packets[1]?.data as Bytes, over));
    });
  });

  describe('errors', () => {
    it('rejects a CRC mismatch with OGG_CORRUPT naming the page, however the bytes arrive', () => {
      const pages = listPages(fixture);
      const target = pages[5] as { offset: number };
      const broken = fixture.slice();
      broken[target.offset + 100] = (broken[target.offset + 100] as number) ^ 0x10;
      const pattern = new RegExp(`page at byte ${target.offset} fails its CRC check`);
      assertApiError(() => runDemuxer([broken]), 'OGG_CORRUPT', pattern);
      assertApiError(() => runDemuxer(byteByByte(broken)), 'OGG_CORRUPT', pattern);
      assertApiError(() => runDemuxer(randomPieces(broken, mulberry32(3), 1, 500)), 'OGG_CORRUPT', pattern);
    });

    it('rejects bytes that are not Ogg from the first byte', () => {
      const demuxer = new OggOpusDemuxer();
      assertApiError(() => demuxer.push(new TextEncoder().encode('I')), 'OGG_CORRUPT', /at byte 0.*"OggS"/);
      assertApiError(() => runDemuxer([new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt ')]), 'OGG_CORRUPT');
      const [a, b] = [fixture.subarray(0, 47), new TextEncoder().encode('OggZ')];
      assertApiError(() => runDemuxer([a, b]), 'OGG_CORRUPT', /at byte 47/);
    });

    it('rejects a stream that does not start with a beginning-of-stream page', () => {
      const noBos = writePage({ granule: 0, serial: 1, sequence: 0 }, [TEST_HEAD]);
      assertApiError(
        () => runDemuxer([noBos]),
        'OGG_CORRUPT',
        /does not start with a beginning-of-stream page/,
      );
    });

    it('rejects Vorbis (the ffmpeg fixture) saying only Opus is supported', () => {
      assertApiError(
        () => runDemuxer([readFixture(FIXTURE_VORBIS)]),
        'OGG_CORRUPT',
        /only Ogg Opus is supported.*carries Vorbis/,
      );
    });

    it('names FLAC and unknown codecs too', () => {
      const bos = (packet: Bytes) =>
        writePage({ headerType: FLAG_BOS, granule: 0, serial: 1, sequence: 0 }, [packet]);
      const flac = bos(new TextEncoder().encode('\x7fFLAC\x01\x00\x00\x01fLaC'));
      assertApiError(() => runDemuxer([flac]), 'OGG_CORRUPT', /only Ogg Opus is supported.*FLAC/);
      assertApiError(() => runDemuxer([bos(new Uint8Array(30))]), 'OGG_CORRUPT', /unknown codec/);
      // A chained link must be Opus too.
      const link = makeLink({ serial: 2, pages: [[10]], eos: true });
      assertApiError(() => runDemuxer([concatBytes([link.bytes, flac])]), 'OGG_CORRUPT', /FLAC/);
    });

    it('rejects an ID header that is not alone on its page', () => {
      const page = writePage({ headerType: FLAG_BOS, granule: 0, serial: 1, sequence: 0 }, [
        TEST_HEAD,
        makeOpusTags('v'),
      ]);
      assertApiError(() => runDemuxer([page]), 'OGG_CORRUPT', /alone on its page/);
    });

    it('rejects a bad ID header', () => {
      const head = TEST_HEAD.slice();
      head[8] = 0x20;
      const page = writePage({ headerType: FLAG_BOS, granule: 0, serial: 1, sequence: 0 }, [head]);
      assertApiError(() => runDemuxer([page]), 'OGG_CORRUPT', /version 32/);
    });

    it('rejects a second page that is not a comment header', () => {
      const stream = concatBytes([
        header(1),
        writePage({ granule: 960, serial: 1, sequence: 1 }, [opusPacket(20)]),
      ]);
      assertApiError(() => runDemuxer([stream]), 'OGG_CORRUPT', /"OpusTags"/);
    });

    it('rejects audio that starts on the comment header page', () => {
      const stream = concatBytes([
        header(1),
        writePage({ granule: 0, serial: 1, sequence: 1 }, [makeOpusTags('v'), opusPacket(20)]),
      ]);
      assertApiError(() => runDemuxer([stream]), 'OGG_CORRUPT', /fresh page/);
    });

    it('rejects a gap in the comment header pages', () => {
      const raw = makeOpusTags('v', ['X='.padEnd(600, 'x')]);
      const stream = concatBytes([
        header(1),
        rawPage({ serial: 1, sequence: 1 }, [255, 255], raw.subarray(0, 510)),
        rawPage(
          { serial: 1, sequence: 3, headerType: FLAG_CONTINUED, granule: 0 },
          [raw.length - 510],
          raw.subarray(510),
        ),
      ]);
      assertApiError(() => runDemuxer([stream]), 'OGG_CORRUPT', /comment header are missing/);
    });

    it('skips and counts an empty packet (Liquidsoap ends a link with one), pts unchanged', () => {
      const one = opusPacket(20, 7);
      const stream = concatBytes([
        header(1),
        tags(1),
        writePage({ granule: 960, serial: 1, sequence: 2 }, [new Uint8Array(0), one, new Uint8Array(0)]),
        writePage({ headerType: FLAG_EOS, granule: 960, serial: 1, sequence: 3 }, [new Uint8Array(0)]),
      ]);
      const demuxer = new OggOpusDemuxer();
      const packets = packetsOf(demuxer.push(stream));
      assert.equal(packets.length, 1);
      assert.deepEqual(packets[0]?.data, one);
      assert.equal(demuxer.nextPts, 960);
      assert.equal(demuxer.emptyPackets, 3);
      assert.equal(demuxer.granuleJumps, 0);
    });

    it('rejects an invalid Opus packet (code 3 with no frame count)', () => {
      const stream = concatBytes([
        header(1),
        tags(1),
        writePage({ granule: 960, serial: 1, sequence: 2 }, [new Uint8Array([TOC_20MS | 3])]),
      ]);
      assertApiError(() => runDemuxer([stream]), 'OGG_CORRUPT');
    });

    it('rejects a packet above maxPacketBytes with OGG_PAGE_TOO_LARGE', () => {
      const link = makeLink({ serial: 1, pages: [[100], [2000]] });
      assert.equal(packetsOf(runDemuxer([link.bytes], { maxPacketBytes: 2000 })).length, 2);
      assertApiError(
        () => runDemuxer([link.bytes], { maxPacketBytes: 1999 }),
        'OGG_PAGE_TOO_LARGE',
        /1999-byte limit/,
      );
    });

    it('stops a packet growing across pages past the default cap before it ends', () => {
      const s = 1;
      const full = new Uint8Array(255 * 255);
      const pages: Bytes[] = [header(s), tags(s)];
      for (let i = 0; i < 5; i++) {
        pages.push(
          rawPage(
            { serial: s, sequence: 2 + i, headerType: i ? FLAG_CONTINUED : 0 },
            new Array(255).fill(255),
            full,
          ),
        );
      }
      const demuxer = new OggOpusDemuxer();
      const [first, ...rest] = pages;
      demuxer.push(first as Bytes);
      demuxer.push(rest[0] as Bytes);
      // Four full pages (260100 bytes) fit under the cap; the fifth takes the packet past it.
      for (let i = 1; i <= 4; i++) demuxer.push(rest[i] as Bytes);
      assert.ok(4 * 65025 <= DEFAULT_MAX_PACKET_BYTES);
      assertApiError(() => demuxer.push(rest[5] as Bytes), 'OGG_PAGE_TOO_LARGE', /262144-byte limit/);
    });

    it('keeps failing after a failure', () => {
      const demuxer = new OggOpusDemuxer();
      assertApiError(() => demuxer.push(new Uint8Array([1, 2, 3])), 'OGG_CORRUPT');
      assertApiError(() => demuxer.push(fixture), 'OGG_CORRUPT', /cannot continue after an earlier error/);
    });

    it('rejects invalid options', () => {
      assert.throws(() => new OggOpusDemuxer({ maxPacketBytes: 0 }), RangeError);
      assert.throws(() => new OggOpusDemuxer({ maxPacketBytes: 1.5 }), RangeError);
    });
  });

  describe('fuzzing', () => {
    function assertOnlyOggErrors(run: () => unknown, label: string): boolean {
      try {
        run();
        return true;
      } catch (err) {
        if (!(err instanceof ApiError) || (err.code !== 'OGG_CORRUPT' && err.code !== 'OGG_PAGE_TOO_LARGE')) {
          assert.fail(`${label}: unexpected ${err instanceof Error ? err.stack : String(err)}`);
        }
        return false;
      }
    }

    it('throws only OGG_CORRUPT on random garbage, with or without a capture pattern', () => {
      for (let seed = 1; seed <= 300; seed++) {
        const rand = mulberry32(seed);
        const data = randomBytes(1 + Math.floor(rand() * 3000), rand);
        if (seed % 2 === 0) data.set([0x4f, 0x67, 0x67, 0x53, 0], 0);
        const parsed = assertOnlyOggErrors(
          () => runDemuxer(randomPieces(data, rand, 1, 700)),
          `seed ${seed}`,
        );
        // Garbage long enough to hold a page can only pass as an incomplete page.
        if (parsed) assert.ok(data.length < 65307 + 27, `seed ${seed} parsed`);
      }
    });

    it('throws only Ogg ApiErrors on pages mangled behind valid CRCs', () => {
      const pages = listPages(
        concatBytes([fixture, makeLink({ serial: 77, pages: [[300, 3], [700]] }).bytes]),
      );
      let parsedRuns = 0;
      for (let seed = 1; seed <= 400; seed++) {
        const rand = mulberry32(seed);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
        const out: Bytes[] = [];
        for (const { page } of pages) {
          if (rand() < 0.05) continue; // lose it
          let { headerType, granule, serial, sequence } = page;
          let body: Bytes = page.body;
          let lacing = [...page.segments];
          const r = rand();
          if (r < 0.08) headerType = Math.floor(rand() * 8);
          else if (r < 0.14) granule = pick([-1, 0, 1, Math.max(-1, granule - 960), granule + 1, 2 ** 40]);
          else if (r < 0.18) serial = pick([serial, 77, 1, 0xffffffff]);
          else if (r < 0.22) sequence = Math.floor(rand() * 30);
          else if (r < 0.32) {
            // Re-lace the same body at random: packets split, merged, continued.
            lacing = [];
            let left = body.length;
            while (left > 0 && lacing.length < 254) {
              const v = rand() < 0.5 ? 255 : Math.floor(rand() * 256);
              const take = Math.min(v, left);
              lacing.push(take === left && rand() < 0.5 ? 255 : take);
              left -= Math.min(take, left);
            }
            const sum = lacing.reduce((a, b) => a + b, 0);
            body = randomBytes(sum, rand);
          } else if (r < 0.42) {
            body = body.slice();
            for (let k = 0; k < 4 && body.length > 0; k++)
              body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
          }
          const bytes = rawPage({ headerType, granule, serial, sequence }, lacing, body);
          out.push(bytes);
          if (rand() < 0.03) out.push(bytes); // duplicated
        }
        const stream = concatBytes(out);
        if (assertOnlyOggErrors(() => runDemuxer(randomPieces(stream, rand, 1, 4000)), `seed ${seed}`))
          parsedRuns++;
      }
      // The mangling is gentle enough that some runs still parse to the end.
      assert.ok(parsedRuns > 10, `${parsedRuns} runs parsed`);
    });
  });
});
