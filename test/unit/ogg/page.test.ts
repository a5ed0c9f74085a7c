import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import type { OggPage, PageRead } from '../../../src/server/ogg/page.js';
import {
  FLAG_BOS,
  FLAG_CONTINUED,
  FLAG_EOS,
  lacingCount,
  MAX_PAGE_BYTES,
  MAX_SINGLE_PAGE_PACKET,
  NEED_MORE,
  NO_GRANULE,
  peekPageLength,
  readPage,
  sealPage,
  writePage,
  writeRawPage,
} from '../../../src/server/ogg/page.js';
import { concatBytes, equalBytes, mulberry32, randomBytes } from '../../../tools/bytes.js';
import { FIXTURE_OPUS, listPages, readFixture } from '../../helpers/ogg.js';

function read(buf: Uint8Array, pos = 0, base = 0): PageRead {
  const r = readPage(buf, pos, base);
  assert.notEqual(r, NEED_MORE);
  return r as PageRead;
}

function assertCorrupt(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `not a ApiError: ${String(err)}`);
    assert.equal(err.code, 'OGG_CORRUPT');
    assert.match(err.message, pattern);
    return true;
  });
}

/** The packets a page's lacing table delimits (the last one possibly unfinished). */
function splitBody(page: OggPage): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let start = 0;
  let at = 0;
  for (const v of page.segments) {
    at += v;
    if (v < 255) {
      packets.push(page.body.subarray(start, at));
      start = at;
    }
  }
  return packets;
}

const FIELDS = { granule: 4800, serial: 0xdeadbeef, sequence: 7 };

describe('ogg page', () => {
  describe('readPage', () => {
    it("reads the fields of ffmpeg's first two pages", () => {
      const data = readFixture(FIXTURE_OPUS);
      const first = read(data);
      assert.equal(first.length, 47);
      assert.equal(first.page.headerType, FLAG_BOS);
      assert.equal(first.page.granule, 0);
      assert.equal(first.page.sequence, 0);
      assert.deepEqual([...first.page.segments], [19]);
      assert.equal(Buffer.from(first.page.body.subarray(0, 8)).toString('latin1'), 'OpusHead');
      const second = read(data, first.length);
      assert.equal(second.page.serial, first.page.serial);
      assert.equal(second.page.sequence, 1);
      assert.equal(Buffer.from(second.page.body.subarray(0, 8)).toString('latin1'), 'OpusTags');
    });

    it('reads the granule position -1 and the end-of-stream flag', () => {
      const page = writePage({ headerType: FLAG_EOS, granule: NO_GRANULE, serial: 1, sequence: 2 }, []);
      const { page: p } = read(page);
      assert.equal(p.granule, -1);
      assert.equal(p.headerType, FLAG_EOS);
      assert.equal(p.segments.length, 0);
      assert.equal(p.body.length, 0);
    });

    it('reads granule positions up to 2^53 - 1', () => {
      for (const granule of [0, 1, 0xffffffff, 0x100000000, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
        assert.equal(read(writePage({ ...FIELDS, granule }, [])).page.granule, granule);
      }
    });

    it('returns NEED_MORE for every truncation of a page', () => {
      const page = writePage(FIELDS, [randomBytes(600, mulberry32(1)), new Uint8Array(3)]);
      for (let end = 0; end < page.length; end++) {
        assert.equal(readPage(page.subarray(0, end), 0), NEED_MORE, `cut at ${end}`);
      }
      assert.equal(read(page).length, page.length);
    });

    it('reads a page in the middle of a buffer and leaves the rest alone', () => {
      const a = writePage(FIELDS, [new Uint8Array(10)]);
      const b = writePage({ ...FIELDS, sequence: 8 }, [new Uint8Array(20).fill(9)]);
      const buf = concatBytes([a, b, new Uint8Array([0x4f])]);
      const r = read(buf, a.length);
      assert.equal(r.length, b.length);
      assert.equal(r.page.sequence, 8);
      assert.ok(r.page.body.every((x) => x === 9));
    });

    it('rejects a wrong capture pattern from its first byte', () => {
      assertCorrupt(() => readPage(Uint8Array.of(0x49), 0, 1000), /at byte 1000.*"OggS"/);
      assertCorrupt(() => readPage(new TextEncoder().encode('OgX'), 0), /"OggS"/);
      assertCorrupt(() => readPage(new TextEncoder().encode('ID3\x04\x00'), 0), /"OggS"/);
    });

    it('rejects a stream structure version other than 0', () => {
      const page = writePage(FIELDS, []);
      page[4] = 1;
      assertCorrupt(() => readPage(page.subarray(0, 5), 0), /version 1/);
    });

    it('rejects unknown header type flags', () => {
      const page = writePage(FIELDS, []);
      page[5] = 0x08;
      assertCorrupt(() => readPage(page, 0), /header type flags 0x8/);
    });

    it('rejects a CRC mismatch, naming the byte offset of the page', () => {
      const a = writePage(FIELDS, [new Uint8Array(10)]);
      const b = writePage({ ...FIELDS, sequence: 8 }, [new Uint8Array(30)]);
      const buf = concatBytes([a, b]);
      flip(buf, a.length + 40, 0x01);
      assertCorrupt(
        () => readPage(buf, a.length, 5000),
        new RegExp(`at byte ${5000 + a.length} fails its CRC`),
      );
    });

    it('rejects every single-bit flip of a page', () => {
      const page = writePage(FIELDS, [randomBytes(40, mulberry32(2))]);
      for (let bit = 0; bit < page.length * 8; bit++) {
        const copy = page.slice();
        flip(copy, bit >> 3, 1 << (bit & 7));
        // A flip in the lacing table may make the page look longer than the buffer: NEED_MORE, also fine.
        let outcome: string;
        try {
          const r = readPage(copy, 0);
          outcome = r === NEED_MORE ? 'need-more' : 'read';
        } catch (err) {
          assert.ok(err instanceof ApiError && err.code === 'OGG_CORRUPT', String(err));
          outcome = 'corrupt';
        }
        assert.notEqual(outcome, 'read', `bit ${bit} went unnoticed`);
      }
    });

    it('rejects a granule position that is negative or beyond 2^53 - 1', () => {
      const page = writePage({ ...FIELDS, granule: 0 }, []);
      const view = new DataView(page.buffer);
      view.setUint32(10, 0x200000, true); // 2^53
      assertCorrupt(() => readPage(resealed(page), 0), /granule position/);
      view.setUint32(6, 0xfffffffe, true);
      view.setUint32(10, 0xffffffff, true); // -2
      assertCorrupt(() => readPage(resealed(page), 0), /granule position/);
    });
  });

  describe('peekPageLength', () => {
    it('gives the whole length once the lacing table is in, without the body', () => {
      const page = writePage(FIELDS, [new Uint8Array(300), new Uint8Array(5)]);
      const headerLength = 27 + 3;
      assert.equal(peekPageLength(page.subarray(0, headerLength - 1), 0), NEED_MORE);
      assert.equal(peekPageLength(page.subarray(0, headerLength), 0), page.length);
    });

    it('caps a page at 65307 bytes', () => {
      assert.equal(MAX_PAGE_BYTES, 65307);
      const page = writeRawPage(FIELDS, new Array(255).fill(255), new Uint8Array(255 * 255));
      assert.equal(page.length, MAX_PAGE_BYTES);
      assert.equal(read(page).length, MAX_PAGE_BYTES);
    });
  });

  describe('writePage', () => {
    const cases: [number, number[]][] = [
      [0, [0]],
      [1, [1]],
      [254, [254]],
      [255, [255, 0]],
      [256, [255, 1]],
      [509, [255, 254]],
      [510, [255, 255, 0]],
      [511, [255, 255, 1]],
    ];
    for (const [size, lacing] of cases) {
      it(`laces a ${size}-byte packet as [${lacing.join(', ')}]`, () => {
        const packet = randomBytes(size, mulberry32(size));
        const { page } = read(writePage(FIELDS, [packet]));
        assert.deepEqual([...page.segments], lacing);
        assert.equal(lacingCount(size), lacing.length);
        assert.ok(equalBytes(page.body, packet));
      });
    }

    it('laces the largest single-page packet (65024 bytes) in 255 values ending in 254', () => {
      const packet = randomBytes(MAX_SINGLE_PAGE_PACKET, mulberry32(4));
      const { page } = read(writePage(FIELDS, [packet]));
      assert.equal(page.segments.length, 255);
      assert.equal(page.segments[254], 254);
      assert.ok(equalBytes(page.body, packet));
    });

    it('refuses packets of 65025 bytes or more, which cannot end on one page', () => {
      assert.throws(() => writePage(FIELDS, [new Uint8Array(255 * 255)]), RangeError);
      assert.throws(() => writePage(FIELDS, [new Uint8Array(70000)]), RangeError);
      assert.throws(
        () =>
          writePage(
            FIELDS,
            Array.from({ length: 256 }, () => new Uint8Array(1)),
          ),
        RangeError,
      );
    });

    it('round-trips many packets of edge sizes on one page', () => {
      const packets = [0, 254, 255, 256, 510, 0, 1, 765].map((n, i) => randomBytes(n, mulberry32(i + 10)));
      const bytes = writePage({ headerType: FLAG_CONTINUED | FLAG_EOS, ...FIELDS }, packets);
      const { page, length } = read(bytes);
      assert.equal(length, bytes.length);
      assert.equal(page.headerType, FLAG_CONTINUED | FLAG_EOS);
      assert.equal(page.granule, FIELDS.granule);
      assert.equal(page.serial, FIELDS.serial);
      assert.equal(page.sequence, FIELDS.sequence);
      const back = splitBody(page);
      assert.equal(back.length, packets.length);
      for (const [i, p] of packets.entries()) assert.ok(equalBytes(back[i] as Uint8Array, p), `packet ${i}`);
    });

    it('rejects out-of-range fields as a caller bug', () => {
      assert.throws(() => writePage({ ...FIELDS, granule: -2 }, []), RangeError);
      assert.throws(() => writePage({ ...FIELDS, granule: 2 ** 53 }, []), RangeError);
      assert.throws(() => writePage({ ...FIELDS, serial: 2 ** 32 }, []), RangeError);
      assert.throws(() => writePage({ ...FIELDS, sequence: -1 }, []), RangeError);
      assert.throws(() => writePage({ ...FIELDS, headerType: 8 }, []), RangeError);
    });
  });

  describe('writeRawPage', () => {
    it('writes a packet spanning two pages that reads back whole', () => {
      const packet = randomBytes(70000, mulberry32(5));
      const first = writeRawPage(FIELDS, new Array(255).fill(255), packet.subarray(0, 255 * 255));
      const restLength = 70000 - 255 * 255;
      const lacing = [...new Array(Math.floor(restLength / 255)).fill(255), restLength % 255];
      const second = writeRawPage(
        { ...FIELDS, headerType: FLAG_CONTINUED, sequence: 8 },
        lacing,
        packet.subarray(255 * 255),
      );
      const a = read(first).page;
      const b = read(second).page;
      assert.equal(splitBody(a).length, 0);
      assert.equal(b.headerType & FLAG_CONTINUED, FLAG_CONTINUED);
      assert.ok(equalBytes(concatBytes([a.body, b.body]), packet));
    });

    it('reproduces every page of the ffmpeg fixture byte for byte', () => {
      for (const { bytes, page } of listPages(readFixture(FIXTURE_OPUS))) {
        const again = writeRawPage(page, page.segments, page.body);
        assert.ok(equalBytes(again, bytes), `page ${page.sequence}`);
      }
    });

    it('rejects a lacing table that does not add up to the body', () => {
      assert.throws(() => writeRawPage(FIELDS, [10], new Uint8Array(9)), RangeError);
      assert.throws(() => writeRawPage(FIELDS, [256], new Uint8Array(256)), RangeError);
    });
  });
});

function flip(buf: Uint8Array, at: number, mask: number): void {
  buf[at] = (buf[at] as number) ^ mask;
}

/** A copy of a page edited by hand, its CRC made right again. */
function resealed(page: Uint8Array): Uint8Array {
  const copy = page.slice();
  sealPage(copy, 0, copy.length);
  return copy;
}
