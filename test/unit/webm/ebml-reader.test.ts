/** The streaming EBML reader the splitter and the demuxer share: the same elements, wherever the pushes cut. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEED_MORE, UNKNOWN_SIZE } from '../../../src/server/webm/ebml.js';
import { EbmlReader } from '../../../src/server/webm/ebml-reader.js';
import { ID_CLUSTER, ID_SEGMENT, ID_SIMPLE_BLOCK } from '../../../src/server/webm/ids.js';
import type { Bytes } from '../../../tools/bytes.js';
import { byteByByte, bytes, concatBytes, splitAt } from '../../../tools/bytes.js';
import { ebmlElement, encodeId, encodeSize, makeWebm } from '../../../tools/webm.js';
import { assertApiError } from '../../helpers/errors.js';

interface Seen {
  id: number;
  offset: number;
  size: number | typeof UNKNOWN_SIZE;
  /** SimpleBlock bodies, read whole. */
  body?: number[];
}

/** Walks `pieces` as the splitter does: into Segment and Cluster, reading SimpleBlocks, skipping the rest. */
function walk(pieces: readonly Bytes[]): Seen[] {
  const reader = new EbmlReader();
  const seen: Seen[] = [];
  let reading: number | null = null;
  let base = 0;
  for (const piece of pieces) {
    reader.begin(piece, base);
    base += piece.length;
    for (;;) {
      if (reading !== null) {
        const body = reader.read(reading);
        if (body === NEED_MORE) break;
        (seen[seen.length - 1] as Seen).body = [...body];
        reading = null;
      }
      const h = reader.next();
      if (h === NEED_MORE) break;
      seen.push({ id: h.id, offset: reader.offset, size: h.size });
      if (h.id === ID_SEGMENT || h.id === ID_CLUSTER) continue;
      if (h.size === UNKNOWN_SIZE) throw new Error('unexpected unknown size');
      if (h.id === ID_SIMPLE_BLOCK) reading = h.size;
      else reader.skip(h.size);
    }
    reader.end();
  }
  return seen;
}

describe('EbmlReader', () => {
  const { bytes: stream } = makeWebm({ clusters: 3, blocksPerCluster: 2, blockBytes: 40 });
  const whole = walk([stream]);

  it('meets every element of a stream in one push, with its stream offset', () => {
    assert.equal(whole[0]?.offset, 0);
    assert.equal(whole.filter((s) => s.id === ID_CLUSTER).length, 3);
    assert.equal(whole.filter((s) => s.id === ID_SIMPLE_BLOCK).length, 6);
    for (const s of whole.filter((x) => x.id === ID_SIMPLE_BLOCK)) assert.ok(s.body && s.body.length > 40);
  });

  it('meets the same elements and bodies with the stream cut at every offset', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(walk(splitAt(stream, [cut])), whole, `cut at ${cut}`);
    }
  });

  it('meets the same elements and bodies pushed one byte at a time', () => {
    assert.deepEqual(walk(byteByByte(stream)), whole);
  });

  it('reads a body in one push as a view of it, and one across pushes as a copy', () => {
    const block = ebmlElement(ID_SIMPLE_BLOCK, bytes(1, 2, 3, 4, 5, 6));
    const reader = new EbmlReader();
    reader.begin(block, 0);
    const h = reader.next();
    assert.notEqual(h, NEED_MORE);
    const view = reader.read(6);
    assert.ok(view !== NEED_MORE && view.buffer === block.buffer);

    const cut = reader.pos - 3;
    const again = new EbmlReader();
    again.begin(block.subarray(0, cut), 0);
    again.next();
    assert.equal(again.read(6), NEED_MORE);
    assert.ok(again.gathering);
    again.begin(block.subarray(cut), cut);
    const copy = again.read(6);
    assert.ok(copy !== NEED_MORE && copy.buffer !== block.buffer);
    assert.deepEqual([...copy], [1, 2, 3, 4, 5, 6]);
  });

  it('reads a body that starts exactly at the next push as a view of that push', () => {
    const header = concatBytes([encodeId(ID_SIMPLE_BLOCK), encodeSize(3)]);
    const reader = new EbmlReader();
    reader.begin(header, 0);
    reader.next();
    assert.equal(reader.read(3), NEED_MORE);
    assert.ok(!reader.gathering);
    const next = bytes(7, 8, 9);
    reader.begin(next, header.length);
    const body = reader.read(3);
    assert.ok(body !== NEED_MORE && body.buffer === next.buffer);
  });

  it('says where a cut header began, and completes it in the next push', () => {
    const header = concatBytes([encodeId(ID_CLUSTER), encodeSize(10, 4)]);
    const reader = new EbmlReader();
    reader.begin(concatBytes([bytes(0xec, 0x80), header.subarray(0, 3)]), 100);
    const first = reader.next();
    assert.ok(first !== NEED_MORE && first.size === 0);
    assert.equal(reader.next(), NEED_MORE);
    assert.ok(reader.cut);
    assert.equal(reader.start, 2);
    assert.equal(reader.offset, 102);
    reader.begin(header.subarray(3), 105);
    const h = reader.next();
    assert.ok(h !== NEED_MORE);
    assert.deepEqual([h.id, h.size, h.headerLength], [ID_CLUSTER, 10, 8]);
    assert.equal(reader.start, -1);
    assert.equal(reader.offset, 102);
    assert.equal(reader.pos, 5);
  });

  it('passes over a skipped body across pushes', () => {
    const reader = new EbmlReader();
    reader.begin(bytes(1, 2, 3), 0);
    reader.skip(5);
    assert.equal(reader.next(), NEED_MORE);
    assert.ok(!reader.cut);
    reader.begin(concatBytes([bytes(4, 5), encodeId(ID_SIMPLE_BLOCK), encodeSize(0)]), 3);
    const h = reader.next();
    assert.ok(h !== NEED_MORE && h.id === ID_SIMPLE_BLOCK);
    assert.equal(reader.offset, 5);
  });

  it('throws WEBM_CORRUPT naming the stream byte of a corrupt header', () => {
    const reader = new EbmlReader();
    reader.begin(bytes(0xa3, 0x00), 40);
    assertApiError(() => reader.next(), 'WEBM_CORRUPT', /size at byte 41/);
  });
});
