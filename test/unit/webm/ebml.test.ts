import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HeaderCarry,
  MAX_HEADER_LENGTH,
  NEED_MORE,
  readElementHeader,
  readId,
  readVint,
  UNKNOWN_SIZE,
} from '../../../src/server/webm/ebml.js';
import {
  describeId,
  hexId,
  ID_CLUSTER,
  ID_EBML,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
} from '../../../src/server/webm/ids.js';
import { bytes, concatBytes } from '../../../tools/bytes.js';
import { encodeId, encodeSize, unknownSize } from '../../../tools/webm.js';
import { assertApiError } from '../../helpers/errors.js';

describe('readVint', () => {
  for (let width = 1; width <= 8; width++) {
    const max = Math.min(2 ** (7 * width) - 2, Number.MAX_SAFE_INTEGER);
    it(`reads ${width}-byte sizes from 0 to ${max}`, () => {
      for (const value of [0, 1, 126, Math.floor(max / 3), max]) {
        if (value > max) continue;
        assert.deepEqual(readVint(encodeSize(value, width), 0), { value, length: width });
      }
    });

    it(`reads an all-ones ${width}-byte size as UNKNOWN_SIZE`, () => {
      assert.deepEqual(readVint(unknownSize(width), 0), { value: UNKNOWN_SIZE, length: width });
    });

    it(`returns NEED_MORE for a ${width}-byte size cut at every byte`, () => {
      const whole = encodeSize(5, width);
      for (let cut = 0; cut < width; cut++) assert.equal(readVint(whole.subarray(0, cut), 0), NEED_MORE);
      assert.equal(readVint(unknownSize(width).subarray(0, width - 1), 0), NEED_MORE);
    });
  }

  it('reads the known encodings of 1 in every width', () => {
    assert.deepEqual(readVint(bytes(0x81), 0), { value: 1, length: 1 });
    assert.deepEqual(readVint(bytes(0x40, 0x01), 0), { value: 1, length: 2 });
    assert.deepEqual(readVint(bytes(0x20, 0, 0x01), 0), { value: 1, length: 3 });
    assert.deepEqual(readVint(bytes(0x01, 0, 0, 0, 0, 0, 0, 0x01), 0), { value: 1, length: 8 });
  });

  it('reads 2^53 - 1 in 8 bytes exactly', () => {
    const max = bytes(0x01, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    assert.deepEqual(readVint(max, 0), { value: Number.MAX_SAFE_INTEGER, length: 8 });
  });

  it('throws WEBM_CORRUPT for sizes above 2^53 - 1 that are not all ones', () => {
    assertApiError(() => readVint(bytes(0x01, 0x20, 0, 0, 0, 0, 0, 0), 0), 'WEBM_CORRUPT', /2\^53/);
    assertApiError(
      () => readVint(bytes(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), 0),
      'WEBM_CORRUPT',
      /larger than 2\^53/,
    );
  });

  it('reads at an offset and ignores bytes after the integer', () => {
    const buf = bytes(0xaa, 0xbb, 0x42, 0x34, 0xcc);
    assert.deepEqual(readVint(buf, 2), { value: 0x234, length: 2 });
  });

  it('returns NEED_MORE at or past the end of the buffer', () => {
    assert.equal(readVint(bytes(0x81), 1), NEED_MORE);
    assert.equal(readVint(bytes(), 0), NEED_MORE);
  });

  it('throws WEBM_CORRUPT naming the stream byte when the first byte is 0x00', () => {
    assertApiError(() => readVint(bytes(0x81, 0x00), 1, 1000), 'WEBM_CORRUPT', /byte 1001.*0x00.*8 bytes/);
  });
});

describe('readId', () => {
  const ids = [
    [ID_SIMPLE_BLOCK, 1],
    [0x4286, 2],
    [0x2ad7b1, 3],
    [ID_EBML, 4],
    [ID_SEGMENT, 4],
    [ID_CLUSTER, 4],
  ] as const;

  for (const [id, length] of ids) {
    it(`reads ${hexId(id)} as a ${length}-byte ID with its marker`, () => {
      assert.deepEqual(readId(encodeId(id), 0), { value: id, length });
    });

    it(`returns NEED_MORE for ${hexId(id)} cut at every byte`, () => {
      const whole = encodeId(id);
      for (let cut = 0; cut < length; cut++) assert.equal(readId(whole.subarray(0, cut), 0), NEED_MORE);
    });
  }

  it('reads the smallest 2-byte ID, whose value is the reserved 1-byte all-ones', () => {
    assert.deepEqual(readId(bytes(0x40, 0x7f), 0), { value: 0x407f, length: 2 });
  });

  it('throws WEBM_CORRUPT for IDs longer than 4 bytes', () => {
    for (const first of [0x00, 0x01, 0x08, 0x0f]) {
      assertApiError(() => readId(bytes(first, 0, 0, 0, 0), 0), 'WEBM_CORRUPT', /longer than 4 bytes/);
    }
  });

  it('throws WEBM_CORRUPT on the first byte alone when it cannot start an ID', () => {
    assertApiError(() => readId(bytes(0x05), 0, 77), 'WEBM_CORRUPT', /byte 77/);
  });

  it('throws WEBM_CORRUPT for reserved IDs (all data bits 0 or 1)', () => {
    for (const id of [
      bytes(0xff),
      bytes(0x80),
      bytes(0x7f, 0xff),
      bytes(0x40, 0x00),
      bytes(0x3f, 0xff, 0xff),
    ]) {
      assertApiError(() => readId(id, 0), 'WEBM_CORRUPT', /reserved/);
    }
    assertApiError(() => readId(bytes(0x1f, 0xff, 0xff, 0xff), 0), 'WEBM_CORRUPT', /reserved/);
  });

  it('throws WEBM_CORRUPT for IDs not in their shortest form', () => {
    assertApiError(() => readId(bytes(0x40, 0x01), 0), 'WEBM_CORRUPT', /0x4001.*shortest/);
    assertApiError(() => readId(bytes(0x10, 0x00, 0x00, 0xa3), 0), 'WEBM_CORRUPT', /shortest/);
  });
});

describe('readElementHeader', () => {
  it('reads an unknown-size Cluster header as Chromium writes it', () => {
    const header = concatBytes([encodeId(ID_CLUSTER), unknownSize(8)]);
    assert.deepEqual(readElementHeader(header, 0), { id: ID_CLUSTER, size: UNKNOWN_SIZE, headerLength: 12 });
    assert.equal(header.length, MAX_HEADER_LENGTH);
  });

  it('reads a known-size SimpleBlock header at an offset', () => {
    const buf = concatBytes([bytes(0, 0, 0), encodeId(ID_SIMPLE_BLOCK), encodeSize(300), bytes(1, 2, 3)]);
    assert.deepEqual(readElementHeader(buf, 3), { id: ID_SIMPLE_BLOCK, size: 300, headerLength: 3 });
  });

  it('returns NEED_MORE for a header cut at every byte', () => {
    for (const header of [
      concatBytes([encodeId(ID_CLUSTER), unknownSize(8)]),
      concatBytes([encodeId(ID_SEGMENT), encodeSize(123_456, 8)]),
      concatBytes([encodeId(ID_SIMPLE_BLOCK), encodeSize(5)]),
      concatBytes([encodeId(0x4286), encodeSize(2 ** 20, 4)]),
    ]) {
      for (let cut = 0; cut < header.length; cut++) {
        assert.equal(readElementHeader(header.subarray(0, cut), 0), NEED_MORE, `cut at ${cut}`);
      }
      assert.notEqual(readElementHeader(header, 0), NEED_MORE);
    }
  });

  it('throws WEBM_CORRUPT naming the stream byte of a bad size', () => {
    assertApiError(() => readElementHeader(bytes(0xa3, 0x00), 0, 500), 'WEBM_CORRUPT', /size at byte 501/);
  });

  it('throws WEBM_CORRUPT for a bad ID before reading any size', () => {
    assertApiError(() => readElementHeader(bytes(0x02), 0), 'WEBM_CORRUPT', /element ID at byte 0/);
  });
});

describe('describeId', () => {
  it('names known elements and shows unknown ones in hex', () => {
    assert.equal(describeId(ID_CLUSTER), 'Cluster (0x1F43B675)');
    assert.equal(describeId(ID_SIMPLE_BLOCK), 'SimpleBlock (0xA3)');
    assert.equal(describeId(0x43c6), 'unknown element 0x43C6');
    assert.equal(hexId(0x2ad7b1), '0x2AD7B1');
  });
});

describe('HeaderCarry', () => {
  const HEADERS = [
    concatBytes([encodeId(ID_CLUSTER), unknownSize(8)]),
    concatBytes([encodeId(ID_SEGMENT), encodeSize(123_456, 8)]),
    concatBytes([encodeId(ID_SIMPLE_BLOCK), encodeSize(5)]),
    concatBytes([encodeId(0x4286), encodeSize(2 ** 20, 4)]),
  ];
  const BODY = bytes(0xde, 0xad, 0xbe, 0xef);

  it('completes a header cut at every byte, and says where its data starts in the next push', () => {
    for (const header of HEADERS) {
      const whole = readElementHeader(header, 0);
      const stream = concatBytes([bytes(0x11, 0x22), header, BODY]);
      for (let cut = 3; cut < 2 + header.length; cut++) {
        const first = stream.subarray(0, cut);
        const second = stream.subarray(cut);
        const short = readElementHeader(first, 2, 1000);
        assert.equal(short, NEED_MORE, `cut at ${cut}`);
        const carry = new HeaderCarry();
        carry.hold(first, 2, 1002);
        assert.equal(carry.length, cut - 2);
        assert.equal(carry.offset, 1002);
        const before = carry.length;
        const got = carry.resume(second);
        assert.deepEqual(got, whole, `cut at ${cut}`);
        if (got === NEED_MORE) continue;
        assert.deepEqual([...second.subarray(got.headerLength - before)], [...BODY]);
        assert.deepEqual(
          [...carry.bytes.subarray(0, header.length)],
          [...header],
          'still held until clear()',
        );
        carry.clear();
        assert.equal(carry.length, 0);
      }
    }
  });

  it('takes a header one byte per push, NEED_MORE until the last', () => {
    for (const header of HEADERS) {
      const carry = new HeaderCarry();
      carry.hold(header.subarray(0, 1), 0, 0);
      for (let i = 1; i < header.length - 1; i++) {
        assert.equal(carry.resume(header.subarray(i, i + 1)), NEED_MORE);
        assert.equal(carry.length, i + 1);
      }
      assert.deepEqual(carry.resume(header.subarray(header.length - 1)), readElementHeader(header, 0));
    }
  });

  it('takes no more of a push than a header can hold', () => {
    const carry = new HeaderCarry();
    carry.hold(bytes(0x1f), 0, 0);
    const rest = concatBytes([bytes(0x43, 0xb6, 0x75), unknownSize(8), new Uint8Array(100)]);
    assert.notEqual(carry.resume(rest), NEED_MORE);
    assert.equal(carry.length, MAX_HEADER_LENGTH);
  });

  it('throws WEBM_CORRUPT naming the stream byte of a bad size in a completed header', () => {
    const carry = new HeaderCarry();
    carry.hold(bytes(0xa3), 0, 500);
    assertApiError(() => carry.resume(bytes(0x00)), 'WEBM_CORRUPT', /size at byte 501/);
  });
});
