import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entry } from '../../../src/server/cluster/entries.js';
import { compareIds, decodeEntry, decodeMeta, encodeEntry } from '../../../src/server/cluster/entries.js';

/** What XRANGE/XREAD return for an entry written with `fields`: every field and value as a Buffer. */
function asRead(fields: Array<string | Buffer>): Buffer[] {
  return fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f, 'utf8')));
}

/** Every byte value, so nothing binary-unsafe can hide. */
const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

describe('cluster entries', () => {
  const cases: Entry[] = [
    {
      kind: 'begin',
      bid: 'b1',
      t: 1700000000123,
      init: BINARY,
      title: 'Morgenshow – live',
      info: { name: 'Room 4', sourceType: 'audio/ogg' },
      graceMs: 5000,
      startedAt: 1700000000000,
    },
    { kind: 'begin', bid: 'b1', t: 1, init: BINARY, title: null, info: {}, graceMs: 10000, startedAt: 2 },
    { kind: 'init', bid: 'b1', t: 2, container: 'ogg', bytes: BINARY },
    {
      kind: 'chunk',
      bid: 'b1',
      t: 3,
      container: 'webm',
      chunk: { bytes: BINARY, syncPoint: true },
      bytesIn: 9,
    },
    {
      kind: 'chunk',
      bid: 'b1',
      t: 4,
      container: 'ogg',
      chunk: { bytes: BINARY, syncPoint: false },
      bytesIn: 0,
    },
    {
      kind: 'begin',
      bid: 'b2',
      t: 8,
      init: Buffer.alloc(0),
      title: null,
      info: { sourceType: 'audio/mpeg', frames: { channels: 2, sampleRate: 44100, bitrateKbps: 128 } },
      graceMs: 5000,
      startedAt: 3,
    },
    {
      kind: 'chunk',
      bid: 'b2',
      t: 9,
      container: 'mpeg',
      chunk: { bytes: BINARY, syncPoint: true },
      bytesIn: 512,
    },
    { kind: 'title', bid: 'b1', t: 5, title: 'Ünïcode' },
    { kind: 'title', bid: 'b1', t: 6, title: null },
    { kind: 'end', bid: 'b1', t: 7 },
  ];
  for (const entry of cases) {
    it(`round-trips a ${entry.kind} entry byte for byte`, () => {
      assert.deepEqual(decodeEntry(asRead(encodeEntry(entry))), entry);
    });
  }

  it('takes a Uint8Array chunk without copying it into a different value', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const e: Entry = {
      kind: 'chunk',
      bid: 'x',
      t: 1,
      container: 'webm',
      chunk: { bytes, syncPoint: true },
      bytesIn: 3,
    };
    const back = decodeEntry(asRead(encodeEntry(e)));
    assert.ok(back?.kind === 'chunk');
    assert.deepEqual([...back.chunk.bytes], [1, 2, 3]);
  });

  it('returns null for entries that are not ours or are incomplete', () => {
    assert.equal(decodeEntry(asRead(['k', 'chunk', 'bid', 'x', 't', '1'])), null);
    assert.equal(decodeEntry(asRead(['k', 'what', 'bid', 'x', 't', '1'])), null);
    assert.equal(decodeEntry(asRead(['k', 'end', 't', '1'])), null);
    assert.equal(decodeEntry(asRead(['k', 'init', 'bid', 'x', 't', '1', 'c', 'mp4', 'b', 'x'])), null);
    assert.equal(decodeEntry([]), null);
  });

  it('reads the meta hash, with sync ids when present', () => {
    const hash: Record<string, Buffer> = {};
    const pairs = ['bid', 'b1', 'node', 'n1', 'beginid', '5-0', 'init', 'INIT', 'info', '{"name":"R","x":1}'];
    pairs.push('grace', '5000', 'started', '42', 'sync:webm', '9-1', 'init:ogg', 'OGG');
    for (let i = 0; i < pairs.length; i += 2) hash[pairs[i] as string] = Buffer.from(pairs[i + 1] as string);
    const meta = decodeMeta(hash);
    assert.ok(meta);
    assert.equal(meta.bid, 'b1');
    assert.equal(meta.node, 'n1');
    assert.equal(meta.beginId, '5-0');
    assert.deepEqual(meta.sync, { webm: '9-1' });
    assert.equal(meta.oggInit?.toString(), 'OGG');
    assert.deepEqual(meta.info, { name: 'R' }, 'unknown info fields are dropped');
    hash['sync:mpeg'] = Buffer.from('9-2');
    hash.info = Buffer.from('{"sourceType":"audio/aac","frames":{"channels":"2","sampleRate":48000}}');
    const mpeg = decodeMeta(hash);
    assert.deepEqual(mpeg?.sync, { webm: '9-1', mpeg: '9-2' });
    assert.deepEqual(
      mpeg?.info,
      { sourceType: 'audio/aac' },
      'frames info that is not all numbers is dropped',
    );
    assert.equal(meta.title, null);
    delete hash.beginid;
    assert.equal(decodeMeta(hash), null, 'incomplete');
    assert.equal(decodeMeta({}), null, 'no broadcast');
  });

  it('orders stream ids by time, then sequence, beyond 2^53', () => {
    assert.ok(compareIds('1-0', '2-0') < 0);
    assert.ok(compareIds('2-10', '2-9') > 0);
    assert.equal(compareIds('7-7', '7-7'), 0);
    assert.ok(compareIds('1700000000000-18446744073709551614', '1700000000000-18446744073709551615') < 0);
  });
});
