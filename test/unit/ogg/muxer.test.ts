import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OggOpusMuxer } from '../../../src/server/ogg/muxer.js';
import { FLAG_BOS, FLAG_CONTINUED, FLAG_EOS, NO_GRANULE } from '../../../src/server/ogg/page.js';
import type { OpusHeader, OpusPacket } from '../../../src/server/opus/opus-packet.js';
import { makeOpusTags, parseOpusHead } from '../../../src/server/opus/opus-packet.js';
import type { Bytes } from '../../../tools/bytes.js';
import { concatBytes, equalBytes } from '../../../tools/bytes.js';
import {
  FIXTURE_OPUS,
  listPages,
  opusPacket,
  packetsByPage,
  packetsOf,
  readFixture,
  runDemuxer,
  TEST_HEADER,
} from '../../helpers/ogg.js';

const TAGS = { vendor: 'onair', comments: ['TITLE=Morning show'] };

function packets(sizes: readonly number[], samples = 960, firstPts = 0): OpusPacket[] {
  return sizes.map((size, i) => ({ data: opusPacket(size, i + 1), pts: firstPts + i * samples, samples }));
}

function started(serial = 42): OggOpusMuxer {
  const muxer = new OggOpusMuxer({ serial });
  muxer.header(TEST_HEADER, TAGS);
  return muxer;
}

describe('OggOpusMuxer', () => {
  describe('header', () => {
    it('writes OpusHead alone on a BOS page, then OpusTags on a page of its own', () => {
      const muxer = new OggOpusMuxer({ serial: 42 });
      const bytes = muxer.header(TEST_HEADER, TAGS);
      const pages = listPages(bytes);
      assert.equal(pages.length, 2);
      const [head, tags] = pages.map((p) => p.page);
      assert.equal(head?.headerType, FLAG_BOS);
      assert.equal(head?.sequence, 0);
      assert.equal(head?.granule, 0);
      assert.equal(head?.serial, 42);
      assert.ok(equalBytes(head?.body as Bytes, TEST_HEADER.raw));
      assert.deepEqual([...(head?.segments ?? [])], [TEST_HEADER.raw.length]);
      assert.equal(tags?.headerType, 0);
      assert.equal(tags?.sequence, 1);
      assert.equal(tags?.granule, 0);
      assert.ok(equalBytes(tags?.body as Bytes, makeOpusTags(TAGS.vendor, TAGS.comments)));
      assert.equal(muxer.headerPages, bytes);
      assert.equal(muxer.open, true);
    });

    it('spreads a comment header too big for one page over several, granule -1 until it ends', () => {
      const big = { vendor: 'v', comments: [`METADATA_BLOCK_PICTURE=${'B'.repeat(100_000)}`] };
      const pages = listPages(new OggOpusMuxer({ serial: 1 }).header(TEST_HEADER, big)).map((p) => p.page);
      assert.equal(pages.length, 3);
      assert.deepEqual(
        pages.map((p) => [p.headerType, p.granule]),
        [
          [FLAG_BOS, 0],
          [0, NO_GRANULE],
          [FLAG_CONTINUED, 0],
        ],
      );
      const outputs = runDemuxer([new OggOpusMuxer({ serial: 1 }).header(TEST_HEADER, big)]);
      const tags = outputs.find((o) => o.kind === 'tags');
      assert.deepEqual(tags?.kind === 'tags' && tags.comments, big.comments);
    });
  });

  describe('packets', () => {
    it('writes whole packets on fresh pages that demux back to the same packets', () => {
      const muxer = started();
      const input = packets([1, 100, 254, 255, 256, 510, 1275]);
      const bytes = muxer.packets(input);
      const pages = listPages(bytes);
      assert.equal(pages.length, 1);
      assert.equal(pages[0]?.page.headerType, 0);
      assert.equal(pages[0]?.page.sequence, 2);
      assert.equal(pages[0]?.page.granule, 7 * 960);
      const back = packetsOf(runDemuxer([muxer.headerPages as Bytes, bytes]));
      assert.deepEqual(back, input);
    });

    it('numbers pages without gaps across calls and counts granules from the link start', () => {
      const muxer = started();
      const chunks = [
        muxer.packets(packets([10, 20])),
        muxer.packets(packets([30])),
        muxer.packets(packets([5, 5, 5])),
      ];
      const pages = chunks.flatMap((c) => listPages(c).map((p) => p.page));
      assert.deepEqual(
        pages.map((p) => p.sequence),
        [2, 3, 4],
      );
      assert.deepEqual(
        pages.map((p) => p.granule),
        [1920, 2880, 5760],
      );
      assert.ok(pages.every((p) => p.headerType === 0));
      assert.equal(muxer.granule, 5760);
    });

    it('counts samples for the granule position whatever the packets’ pts say', () => {
      const muxer = started();
      const jittery: OpusPacket[] = [
        { data: opusPacket(10), pts: 5000, samples: 960 },
        { data: opusPacket(10), pts: 4000, samples: 480 },
        { data: opusPacket(10), pts: 99_999, samples: 2880 },
      ];
      const [page] = listPages(muxer.packets(jittery));
      assert.equal(page?.page.granule, 960 + 480 + 2880);
    });

    it('starts a new page rather than split a packet that fits on one', () => {
      const muxer = started();
      // 254 one-byte packets, then a 300-byte packet (2 lacing values) that would straddle the 255 limit.
      const input = packets([...new Array(254).fill(1), 300, 7]);
      const bytes = muxer.packets(input);
      const pages = listPages(bytes).map((p) => p.page);
      assert.deepEqual(
        pages.map((p) => [p.segments.length, p.headerType, p.granule]),
        [
          [254, 0, 254 * 960],
          [3, 0, 256 * 960],
        ],
      );
      assert.deepEqual(packetsOf(runDemuxer([muxer.headerPages as Bytes, bytes])), input);
    });

    it('spreads a packet too big for one page over continued pages, granule -1 where none ends', () => {
      const muxer = started();
      const input = packets([20, 140_000, 30]);
      const bytes = muxer.packets(input);
      const pages = listPages(bytes).map((p) => p.page);
      assert.deepEqual(
        pages.map((p) => [p.headerType, p.granule, p.segments.length]),
        [
          [0, 960, 255],
          [FLAG_CONTINUED, NO_GRANULE, 255],
          [FLAG_CONTINUED, 3 * 960, 42],
        ],
      );
      const outputs = runDemuxer([muxer.headerPages as Bytes, bytes]);
      assert.deepEqual(packetsOf(outputs), input);
    });

    it('keeps packets of lacing edge sizes intact through muxer and demuxer', () => {
      const sizes = [1, 254, 255, 256, 509, 510, 511, 65_024, 65_025, 65_026, 130_050];
      const muxer = started();
      const input = packets(sizes);
      const outputs = runDemuxer([muxer.headerPages as Bytes, muxer.packets(input)]);
      assert.deepEqual(packetsOf(outputs), input);
    });

    it('returns nothing for no packets', () => {
      assert.equal(started().packets([]).length, 0);
    });

    it('refuses packets before header() and bad end trimming', () => {
      assert.throws(() => new OggOpusMuxer().packets(packets([1])), /needs header\(\) first/);
      const muxer = started();
      assert.throws(
        () => muxer.packets(packets([1]), { endOfStream: true, discardSamples: 961 }),
        RangeError,
      );
      assert.throws(() => muxer.packets(packets([1]), { endOfStream: true, discardSamples: -1 }), RangeError);
      assert.throws(() => muxer.packets([], { endOfStream: true }), RangeError);
    });

    it('rejects an invalid serial', () => {
      assert.throws(() => new OggOpusMuxer({ serial: -1 }), RangeError);
      assert.throws(() => new OggOpusMuxer({ serial: 2 ** 32 }), RangeError);
    });
  });

  describe('ending and chaining', () => {
    it('ends a link on the page of its last packets, trimming the end in the granule position', () => {
      const muxer = started();
      muxer.packets(packets([10, 10]));
      const bytes = muxer.packets(packets([10, 10]), { endOfStream: true, discardSamples: 700 });
      const [page] = listPages(bytes).map((p) => p.page);
      assert.equal(page?.headerType, FLAG_EOS);
      assert.equal(page?.granule, 4 * 960 - 700);
      assert.equal(muxer.open, false);
      assert.throws(() => muxer.packets(packets([1])), /needs header\(\) first/);
    });

    it('ends a link after the fact with a lost frame trimmed to nothing', () => {
      const muxer = started();
      const audio = muxer.packets(packets([10, 10]));
      const eos = muxer.end();
      const [page] = listPages(eos).map((p) => p.page);
      assert.equal(page?.headerType, FLAG_EOS);
      assert.equal(page?.sequence, 3);
      assert.equal(page?.granule, 1920);
      assert.deepEqual([...(page?.body ?? [])], [28 << 3]);
      const outputs = runDemuxer([muxer.headerPages as Bytes, audio, eos]);
      const last = packetsOf(outputs).at(-1);
      assert.equal(last?.samples, 120);
      const lastOutput = outputs.filter((o) => o.kind === 'packet').at(-1);
      assert.equal(lastOutput?.kind === 'packet' && lastOutput.discardSamples, 120);
      assert.equal(muxer.end().length, 0);
    });

    it('ends a multistream link with an empty page, as no short packet is valid there', () => {
      const raw = new Uint8Array(19 + 2 + 3);
      raw.set(TEST_HEADER.raw);
      raw[9] = 3;
      raw[18] = 1;
      raw.set([2, 1, 0, 2, 1], 19);
      const header: OpusHeader = parseOpusHead(raw);
      const muxer = new OggOpusMuxer({ serial: 3 });
      muxer.header(header, TAGS);
      const [page] = listPages(muxer.end()).map((p) => p.page);
      assert.equal(page?.headerType, FLAG_EOS);
      assert.equal(page?.granule, NO_GRANULE);
      assert.equal(page?.segments.length, 0);
    });

    it('chains a new link with the next serial and page numbers from 0', () => {
      const muxer = started(0xffffffff);
      const one = concatBytes([muxer.headerPages as Bytes, muxer.packets(packets([10])), muxer.end()]);
      const head = muxer.header(TEST_HEADER, { vendor: 'onair', comments: ['TITLE=Next'] });
      const two = concatBytes([head, muxer.packets(packets([10, 10]))]);
      const pages = listPages(two).map((p) => p.page);
      assert.deepEqual(
        pages.map((p) => [p.serial, p.sequence, p.granule]),
        [
          [0, 0, 0],
          [0, 1, 0],
          [0, 2, 1920],
        ],
      );
      assert.equal(muxer.headerPages, head);
      const outputs = runDemuxer([one, two]);
      assert.deepEqual(
        outputs.filter((o) => o.kind === 'tags').map((o) => o.kind === 'tags' && o.comments),
        [TAGS.comments, ['TITLE=Next']],
      );
    });
  });

  it("reproduces ffmpeg's file byte for byte from its demuxed packets", () => {
    const fixture = readFixture(FIXTURE_OPUS);
    const outputs = runDemuxer([fixture]);
    const header = outputs.find((o) => o.kind === 'header');
    const tags = outputs.find((o) => o.kind === 'tags');
    assert.ok(header?.kind === 'header' && tags?.kind === 'tags');
    const muxer = new OggOpusMuxer({ serial: header.serial });
    const parts = [muxer.header(header.header, tags)];
    // Same packets per page as ffmpeg, ending the link as its last page did.
    for (const group of packetsByPage(outputs)) {
      const last = group.at(-1);
      parts.push(
        muxer.packets(
          group.map((o) => o.packet),
          { endOfStream: last?.endOfStream, discardSamples: last?.discardSamples },
        ),
      );
    }
    assert.ok(equalBytes(concatBytes(parts), fixture));
  });
});
