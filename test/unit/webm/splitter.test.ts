import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import {
  ID_BLOCK_GROUP,
  ID_CLUSTER,
  ID_CUES,
  ID_EBML,
  ID_INFO,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TAGS,
  ID_TIMECODE,
  ID_VOID,
} from '../../../src/server/webm/ids.js';
import type { WebmChunk } from '../../../src/server/webm/splitter.js';
import {
  DEFAULT_MAX_ELEMENT_BYTES,
  DEFAULT_MAX_INIT_BYTES,
  WebmSplitter,
} from '../../../src/server/webm/splitter.js';
import type { Bytes } from '../../../tools/bytes.js';
import {
  byteByByte,
  bytes,
  concatBytes,
  equalBytes,
  mulberry32,
  randomBytes,
  randomPieces,
  splitAt,
} from '../../../tools/bytes.js';
import type { MakeWebmOptions, SplitOutcome } from '../../../tools/webm.js';
import {
  ebmlElement,
  ebmlHeader,
  encodeId,
  encodeSize,
  infoElement,
  makeWebm,
  runSplitter,
  simpleBlock,
  tracksElement,
  uintElement,
  unknownSize,
  unknownSizeElement,
} from '../../../tools/webm.js';
import { assertApiError } from '../../helpers/errors.js';

const CLUSTER_ID = encodeId(ID_CLUSTER);

/** Offsets of every Cluster ID byte pattern in `data`: the oracle for where sync chunks must start. */
function findClusterIds(data: Bytes): number[] {
  const found: number[] = [];
  for (let i = data.indexOf(0x1f); i >= 0 && i + 4 <= data.length; i = data.indexOf(0x1f, i + 1)) {
    if (data[i + 1] === 0x43 && data[i + 2] === 0xb6 && data[i + 3] === 0x75) found.push(i);
  }
  return found;
}

interface Expected {
  initLength: number;
  clusterOffsets: readonly number[];
}

/** Asserts everything a correct split of `input` guarantees, whatever the push boundaries were. */
function assertSplit(outcome: SplitOutcome, input: Bytes, expected: Expected, label = ''): void {
  const { chunks } = outcome;
  assert.ok(outcome.init, `${label}: no init chunk`);
  assert.equal(outcome.init.length, expected.initLength, `${label}: init length`);
  assert.equal(chunks[0]?.kind, 'init', `${label}: first chunk is not the init`);
  assert.equal(chunks[0]?.syncPoint, false, `${label}: init chunk marked as sync point`);
  assert.equal(chunks.filter((c) => c.kind === 'init').length, 1, `${label}: init chunks`);
  assert.ok(
    chunks.every((c) => c.bytes.length > 0),
    `${label}: empty chunk`,
  );
  assert.deepEqual(outcome.syncOffsets, expected.clusterOffsets, `${label}: sync offsets`);
  assert.ok(equalBytes(outcome.output, input), `${label}: output differs from input`);
  assert.ok(outcome.maxHeldAfterInit <= 3, `${label}: held back ${outcome.maxHeldAfterInit} bytes`);
}

/** Pushes `data` whole into a new splitter. */
function pushWhole(data: Bytes, options?: ConstructorParameters<typeof WebmSplitter>[0]): WebmChunk[] {
  return new WebmSplitter(options).push(data);
}

const prefix = concatBytes([ebmlHeader(), unknownSizeElement(ID_SEGMENT), infoElement(), tracksElement()]);
const timecode = uintElement(ID_TIMECODE, 0);
const block = simpleBlock(0, 30);

const layouts: Record<string, MakeWebmOptions> = {
  'unknown-size Segment and Clusters (Chromium)': {},
  'known-size Segment and Clusters': { unknownSizeSegment: false, unknownSizeClusters: false },
  'known-size Segment, unknown-size Clusters': { unknownSizeSegment: false },
  'unknown-size Segment, known-size Clusters': { unknownSizeClusters: false },
  'SeekHead, Voids, Cues and Tags (ffmpeg)': { seekHead: true, voidBetweenClusters: true, cuesAndTags: true },
  'known sizes with Cues and Tags': {
    unknownSizeSegment: false,
    unknownSizeClusters: false,
    cuesAndTags: true,
    voidBetweenClusters: true,
  },
};

describe('WebmSplitter', () => {
  describe('on synthetic streams', () => {
    for (const [name, options] of Object.entries(layouts)) {
      describe(name, () => {
        const webm = makeWebm(options);

        it('emits the init, then one sync chunk per Cluster, when fed whole', () => {
          const outcome = runSplitter([webm.bytes]);
          assertSplit(outcome, webm.bytes, webm);
          assert.equal(outcome.chunks.length, 1 + webm.clusterOffsets.length);
          assert.deepEqual(findClusterIds(webm.bytes), webm.clusterOffsets);
        });

        it('emits the same chunks when fed byte by byte', () => {
          assertSplit(runSplitter(byteByByte(webm.bytes)), webm.bytes, webm);
        });

        it('emits the same init, sync offsets and bytes when split into two pushes at every offset', () => {
          for (let at = 0; at <= webm.bytes.length; at++) {
            assertSplit(runSplitter(splitAt(webm.bytes, [at])), webm.bytes, webm, `split at ${at}`);
          }
        });

        it('emits the same result for random multi-way splits', () => {
          for (let seed = 1; seed <= 200; seed++) {
            const rand = mulberry32(seed);
            const pieces = randomPieces(webm.bytes, rand, 1, 1 + Math.floor(rand() * 64));
            assertSplit(runSplitter(pieces), webm.bytes, webm, `seed ${seed}`);
          }
        });
      });
    }

    it('returns media chunks as views of the input and the init segment as a copy', () => {
      const webm = makeWebm();
      const splitter = new WebmSplitter();
      const chunks = splitter.push(webm.bytes);
      const [init, ...media] = chunks;
      assert.ok(init);
      assert.notEqual(init.bytes.buffer, webm.bytes.buffer);
      assert.equal(splitter.initSegment, init.bytes);
      for (const chunk of media) assert.equal(chunk.bytes.buffer, webm.bytes.buffer);
      webm.bytes.fill(0, 0, webm.initLength);
      assert.equal(init.bytes[0], 0x1a, 'init changed when the input did');
    });

    it('emits the bytes of a Cluster as they arrive, without waiting for the Cluster to end', () => {
      const cluster = concatBytes([unknownSizeElement(ID_CLUSTER), timecode, block]);
      const splitter = new WebmSplitter();
      const first = splitter.push(concatBytes([prefix, cluster.subarray(0, 30)]));
      assert.deepEqual(
        first.map((c) => [c.kind, c.bytes.length, c.syncPoint]),
        [
          ['init', prefix.length, false],
          ['media', 30, true],
        ],
      );
      const second = splitter.push(cluster.subarray(30, 31));
      assert.deepEqual(
        second.map((c) => [c.kind, c.bytes.length, c.syncPoint]),
        [['media', 1, false]],
      );
      const third = splitter.push(cluster.subarray(31));
      assert.deepEqual(
        third.map((c) => [c.kind, c.bytes.length, c.syncPoint]),
        [['media', cluster.length - 31, false]],
      );
    });

    it('holds nothing back when a push ends just after a SimpleBlock ID, as Chromium cuts them', () => {
      const head = concatBytes([
        prefix,
        unknownSizeElement(ID_CLUSTER),
        timecode,
        block,
        encodeId(ID_SIMPLE_BLOCK),
      ]);
      const splitter = new WebmSplitter();
      const emitted = splitter.push(head).reduce((n, c) => n + c.bytes.length, 0);
      assert.equal(emitted, head.length);
      const rest = block.subarray(1);
      const next = splitter.push(rest);
      assert.deepEqual(
        next.map((c) => [c.bytes.length, c.syncPoint]),
        [[rest.length, false]],
      );
    });

    it('holds back only a cut Cluster ID, and starts the sync chunk with those bytes', () => {
      const cluster = concatBytes([unknownSizeElement(ID_CLUSTER), timecode, block]);
      const splitter = new WebmSplitter();
      splitter.push(concatBytes([prefix, cluster]));
      const tail = splitter.push(concatBytes([block, CLUSTER_ID.subarray(0, 2)]));
      assert.deepEqual(
        tail.map((c) => [c.bytes.length, c.syncPoint]),
        [[block.length, false]],
      );
      assert.deepEqual(splitter.push(CLUSTER_ID.subarray(2, 3)), []);
      const next = splitter.push(cluster.subarray(3));
      assert.deepEqual(
        next.map((c) => [Array.from(c.bytes.subarray(0, 3)), c.bytes.length, c.syncPoint]),
        [
          [[0x1f, 0x43, 0xb6], 3, true],
          [[0x75, 0x01, 0xff], cluster.length - 3, false],
        ],
      );
    });

    it('starts the sync chunk at a whole Cluster ID even before its size has arrived', () => {
      const splitter = new WebmSplitter();
      const chunks = splitter.push(concatBytes([prefix, CLUSTER_ID, unknownSize(8).subarray(0, 3)]));
      assert.deepEqual(
        chunks.map((c) => [c.kind, c.bytes.length, c.syncPoint]),
        [
          ['init', prefix.length, false],
          ['media', 7, true],
        ],
      );
    });

    it('ends an unknown-size Cluster at Cues or Tags, which stay in the chunk they fall in', () => {
      const cues = ebmlElement(ID_CUES, new Uint8Array(5));
      const tags = ebmlElement(ID_TAGS, new Uint8Array(5));
      const clusterA = concatBytes([unknownSizeElement(ID_CLUSTER), timecode, block]);
      const clusterB = concatBytes([unknownSizeElement(ID_CLUSTER), timecode, block]);
      const input = concatBytes([prefix, clusterA, cues, tags, clusterB]);
      const outcome = runSplitter([input]);
      assertSplit(outcome, input, {
        initLength: prefix.length,
        clusterOffsets: [prefix.length, prefix.length + clusterA.length + cues.length + tags.length],
      });
      assert.equal(outcome.chunks[1]?.bytes.length, clusterA.length + cues.length + tags.length);
    });

    it('keeps a BlockGroup and a Void inside a Cluster without ending it', () => {
      const cluster = concatBytes([
        unknownSizeElement(ID_CLUSTER),
        timecode,
        ebmlElement(ID_VOID, new Uint8Array(4)),
        ebmlElement(ID_BLOCK_GROUP, [block]),
        block,
      ]);
      const input = concatBytes([prefix, cluster, cluster]);
      const expected = {
        initLength: prefix.length,
        clusterOffsets: [prefix.length, prefix.length + cluster.length],
      };
      assertSplit(runSplitter([input]), input, expected);
      assertSplit(runSplitter(byteByByte(input)), input, expected);
    });

    it('puts a SeekHead and Voids before the first Cluster into the init segment', () => {
      const webm = makeWebm({ seekHead: true, initPadding: 300 });
      const outcome = runSplitter([webm.bytes]);
      assertSplit(outcome, webm.bytes, webm);
      assert.ok(webm.initLength > 300);
    });

    it('emits no chunk and no init segment until a Cluster appears', () => {
      const splitter = new WebmSplitter();
      assert.equal(splitter.initSegment, null);
      assert.deepEqual(splitter.push(prefix), []);
      assert.deepEqual(splitter.push(new Uint8Array(0)), []);
      assert.equal(splitter.initSegment, null);
      assert.equal(splitter.bytesIn, prefix.length);
      const chunks = splitter.push(CLUSTER_ID);
      assert.deepEqual(
        chunks.map((c) => c.kind),
        ['init', 'media'],
      );
      assert.ok(splitter.initSegment && equalBytes(splitter.initSegment, prefix));
      assert.equal(splitter.bytesIn, prefix.length + 4);
    });

    it('handles a Cluster of size 0 and elements with empty bodies', () => {
      const input = concatBytes([
        prefix,
        ebmlElement(ID_CLUSTER),
        ebmlElement(ID_VOID),
        unknownSizeElement(ID_CLUSTER),
        ebmlElement(ID_VOID),
      ]);
      // Empty Cluster: 4-byte ID + 1-byte size; empty Void: 1 + 1.
      const first = prefix.length;
      const expected = { initLength: first, clusterOffsets: [first, first + 5 + 2] };
      assertSplit(runSplitter([input]), input, expected);
      assertSplit(runSplitter(byteByByte(input)), input, expected);
    });

    it('parses a stream of thousands of Clusters in Chromium-sized pushes', () => {
      const webm = makeWebm({ clusters: 5000, blocksPerCluster: 2, blockBytes: 120 });
      const outcome = runSplitter(randomPieces(webm.bytes, mulberry32(7), 1000, 2000));
      assertSplit(outcome, webm.bytes, webm);
      assert.equal(outcome.syncOffsets.length, 5000);
      assertSplit(runSplitter([webm.bytes]), webm.bytes, webm);
    });
  });

  describe('limits', () => {
    it('exports the default caps', () => {
      assert.equal(DEFAULT_MAX_INIT_BYTES, 128 * 1024);
      assert.equal(DEFAULT_MAX_ELEMENT_BYTES, 4 * 1024 * 1024);
    });

    it('throws WEBM_INIT_TOO_LARGE as soon as a header declares an init past maxInitBytes', () => {
      const webm = makeWebm({ initPadding: 200 * 1024 });
      const tracksAt = prefix.length - tracksElement().length;
      const splitter = new WebmSplitter();
      assertApiError(
        () => splitter.push(webm.bytes.subarray(0, tracksAt + 8)),
        'WEBM_INIT_TOO_LARGE',
        new RegExp(
          `Tracks \\(0x1654AE6B\\) at byte ${tracksAt} ends at byte \\d+.*131072 bytes \\(maxInitBytes\\)`,
        ),
      );
    });

    it('accepts an init segment of exactly maxInitBytes and rejects one a byte larger', () => {
      const webm = makeWebm();
      const at = { maxInitBytes: webm.initLength };
      assertSplit(runSplitter([webm.bytes], at), webm.bytes, webm);
      assertSplit(runSplitter(byteByByte(webm.bytes), at), webm.bytes, webm);
      const under = { maxInitBytes: webm.initLength - 1 };
      assertApiError(() => runSplitter([webm.bytes], under), 'WEBM_INIT_TOO_LARGE');
      assertApiError(() => runSplitter(byteByByte(webm.bytes), under), 'WEBM_INIT_TOO_LARGE');
      // The last element before the first Cluster (Tracks) is refused on its header alone.
      const tracksHeaderEnd = webm.initLength - tracksElement().length + 5;
      assertApiError(
        () => new WebmSplitter(under).push(webm.bytes.subarray(0, tracksHeaderEnd)),
        'WEBM_INIT_TOO_LARGE',
        /Tracks/,
      );
    });

    it('throws WEBM_INIT_TOO_LARGE without buffering past the cap when no Cluster comes', () => {
      const splitter = new WebmSplitter({ maxInitBytes: 1000 });
      const voids = concatBytes(Array.from({ length: 200 }, () => ebmlElement(ID_VOID, new Uint8Array(8))));
      const input = concatBytes([prefix, voids]);
      assertApiError(() => {
        for (let i = 0; i < input.length; i++) splitter.push(input.subarray(i, i + 1));
      }, 'WEBM_INIT_TOO_LARGE');
      assert.ok(splitter.bytesIn <= 1000 + 1, `read ${splitter.bytesIn} bytes`);
    });

    it('throws WEBM_ELEMENT_TOO_LARGE on the header of an absurd element inside a Cluster', () => {
      const splitter = new WebmSplitter();
      const header = concatBytes([encodeId(ID_SIMPLE_BLOCK), encodeSize(2 ** 40, 8)]);
      const at = prefix.length + 12 + timecode.length;
      assertApiError(
        () => splitter.push(concatBytes([prefix, unknownSizeElement(ID_CLUSTER), timecode, header])),
        'WEBM_ELEMENT_TOO_LARGE',
        new RegExp(`SimpleBlock \\(0xA3\\) at byte ${at} declares 1099511627776 bytes.*4194304-byte`),
      );
    });

    it('accepts an element of exactly maxElementBytes and rejects one a byte larger', () => {
      const cluster = concatBytes([unknownSizeElement(ID_CLUSTER), timecode]);
      const big = ebmlElement(ID_SIMPLE_BLOCK, new Uint8Array(500));
      const input = concatBytes([prefix, cluster, big]);
      const expected = { initLength: prefix.length, clusterOffsets: [prefix.length] };
      assertSplit(runSplitter([input], { maxElementBytes: 500 }), input, expected);
      assertApiError(() => runSplitter([input], { maxElementBytes: 499 }), 'WEBM_ELEMENT_TOO_LARGE');
    });

    it('applies maxElementBytes to elements between Clusters too', () => {
      const input = concatBytes([prefix, ebmlElement(ID_CLUSTER), ebmlElement(ID_TAGS, new Uint8Array(600))]);
      assertApiError(() => runSplitter([input], { maxElementBytes: 599 }), 'WEBM_ELEMENT_TOO_LARGE', /Tags/);
    });

    it('rejects options that are not positive integers', () => {
      assert.throws(() => new WebmSplitter({ maxInitBytes: 0 }), RangeError);
      assert.throws(() => new WebmSplitter({ maxElementBytes: 1.5 }), /maxElementBytes/);
      assert.throws(() => new WebmSplitter({ maxInitBytes: Number.NaN }), /maxInitBytes/);
    });
  });

  describe('corrupt input', () => {
    const cluster = concatBytes([unknownSizeElement(ID_CLUSTER), timecode, block]);
    const cases: Array<[string, Bytes, RegExp]> = [
      ['an Ogg stream', new TextEncoder().encode('OggS\0\x02'), /not a WebM stream.*byte 0/],
      ['a first byte 0x00', bytes(0, 0, 0, 0), /element ID at byte 0/],
      [
        'a Cluster right after the EBML header',
        concatBytes([ebmlHeader(), cluster]),
        /expected a Segment .* found Cluster \(0x1F43B675\) at byte \d+/,
      ],
      [
        'an unknown-size EBML header',
        concatBytes([unknownSizeElement(ID_EBML), unknownSizeElement(ID_SEGMENT)]),
        /EBML header \(0x1A45DFA3\) at byte 0 has an unknown size/,
      ],
      [
        'an unknown-size Info',
        concatBytes([ebmlHeader(), unknownSizeElement(ID_SEGMENT), unknownSizeElement(ID_INFO)]),
        /Info \(0x1549A966\) at byte \d+ has an unknown size/,
      ],
      [
        'an unknown-size SimpleBlock',
        concatBytes([prefix, unknownSizeElement(ID_CLUSTER), unknownSizeElement(ID_SIMPLE_BLOCK)]),
        /SimpleBlock \(0xA3\) at byte \d+ has an unknown size/,
      ],
      [
        'a size starting with 0x00 inside a Cluster',
        concatBytes([prefix, cluster, bytes(ID_SIMPLE_BLOCK, 0x00, 0x01)]),
        new RegExp(`size at byte ${prefix.length + cluster.length + 1}`),
      ],
      [
        'a second EBML header inside a Cluster',
        concatBytes([prefix, cluster, ebmlHeader()]),
        new RegExp(`second EBML header at byte ${prefix.length + cluster.length}`),
      ],
      [
        'a second EBML header after a known-size Cluster',
        concatBytes([prefix, ebmlElement(ID_CLUSTER, [timecode, block]), ebmlHeader()]),
        /second EBML header/,
      ],
      [
        'a second EBML header after a known-size Segment',
        concatBytes([makeWebm({ unknownSizeSegment: false }).bytes, ebmlHeader()]),
        /second EBML header/,
      ],
      [
        'a Void after a known-size Segment',
        concatBytes([makeWebm({ unknownSizeSegment: false }).bytes, ebmlElement(ID_VOID)]),
        /Void \(0xEC\) at byte \d+ follows the end of the Segment/,
      ],
      [
        'a nested Segment',
        concatBytes([prefix, unknownSizeElement(ID_SEGMENT)]),
        /Segment \(0x18538067\) at byte \d+ cannot appear inside the Segment/,
      ],
      [
        'an unknown element at Segment level',
        concatBytes([prefix, ebmlElement(0x43c6, bytes(1))]),
        /unknown element 0x43C6 at byte \d+ cannot appear inside the Segment/,
      ],
      [
        'an unknown element inside an unknown-size Cluster',
        concatBytes([prefix, cluster, ebmlElement(0x4d80, bytes(1))]),
        /unknown element 0x4D80 at byte \d+ cannot appear inside the Cluster that starts at byte \d+/,
      ],
      [
        'a Cluster inside a known-size Cluster',
        concatBytes([prefix, encodeId(ID_CLUSTER), encodeSize(1000), timecode, cluster]),
        /Cluster \(0x1F43B675\) at byte \d+ cannot appear inside the Cluster/,
      ],
      [
        'a SimpleBlock running past the end of its Cluster',
        concatBytes([prefix, encodeId(ID_CLUSTER), encodeSize(timecode.length + 10), timecode, block]),
        /SimpleBlock \(0xA3\) at byte \d+ \(\d+ bytes\) runs past the end of the Cluster that starts at byte/,
      ],
      [
        'a Cluster running past the end of its Segment',
        concatBytes([ebmlHeader(), encodeId(ID_SEGMENT), encodeSize(20), ebmlElement(ID_CLUSTER, [block])]),
        /Cluster \(0x1F43B675\) .* runs past the end of the Segment/,
      ],
    ];

    for (const [name, input, message] of cases) {
      it(`throws WEBM_CORRUPT for ${name}, whole and at every split`, () => {
        assertApiError(() => pushWhole(input), 'WEBM_CORRUPT', message);
        for (let at = 0; at <= input.length; at++) {
          assertApiError(() => runSplitter(splitAt(input, [at])), 'WEBM_CORRUPT', message);
        }
        assertApiError(() => runSplitter(byteByByte(input)), 'WEBM_CORRUPT', message);
      });
    }

    it('stays failed: every later push throws with the same code', () => {
      const splitter = new WebmSplitter();
      assertApiError(() => splitter.push(bytes(0x4f, 0x67)), 'WEBM_CORRUPT');
      const later = assertApiError(() => splitter.push(makeWebm().bytes), 'WEBM_CORRUPT', /earlier error/);
      assert.ok(later.cause instanceof ApiError);
    });
  });

  describe('random input', () => {
    /** Runs `pieces`; passes when the split is exact or the splitter throws a ApiError. */
    function assertCodedOrExact(input: Bytes, pieces: Bytes[], label: string): 'ok' | 'error' {
      let outcome: SplitOutcome;
      try {
        outcome = runSplitter(pieces);
      } catch (err) {
        assert.ok(err instanceof ApiError, `${label}: threw ${String(err)}`);
        assert.match(err.code, /^WEBM_/, label);
        return 'error';
      }
      // Before the first Cluster nothing is emitted; after it, at most a cut Cluster ID waits.
      const held = input.length - outcome.output.length;
      assert.ok(equalBytes(outcome.output, input.subarray(0, outcome.output.length)), `${label}: output`);
      assert.ok(outcome.init === null ? held === input.length : held <= 3, `${label}: held ${held} bytes`);
      return 'ok';
    }

    it('throws only ApiErrors for random bytes', () => {
      for (let seed = 1; seed <= 2000; seed++) {
        const rand = mulberry32(seed);
        const input = randomBytes(1 + Math.floor(rand() * 512), rand);
        assertCodedOrExact(input, randomPieces(input, rand, 1, 64), `seed ${seed}`);
      }
    });

    it('throws only ApiErrors for random bytes after a valid init segment and Cluster', () => {
      const head = concatBytes([prefix, unknownSizeElement(ID_CLUSTER), timecode]);
      for (let seed = 1; seed <= 2000; seed++) {
        const rand = mulberry32(seed);
        const input = concatBytes([head, randomBytes(1 + Math.floor(rand() * 512), rand)]);
        assertCodedOrExact(input, randomPieces(input, rand, 1, 64), `seed ${seed}`);
      }
    });

    it('throws only ApiErrors, or splits exactly, when bytes of a valid stream are mutated', () => {
      const counts = { ok: 0, error: 0 };
      for (let seed = 1; seed <= 1000; seed++) {
        const rand = mulberry32(seed);
        const webm = makeWebm({ clusters: 4, seekHead: rand() < 0.5, unknownSizeClusters: rand() < 0.5 });
        const input = webm.bytes.slice();
        const flips = 1 + Math.floor(rand() * 4);
        for (let i = 0; i < flips; i++) input[Math.floor(rand() * input.length)] = (rand() * 256) | 0;
        counts[assertCodedOrExact(input, randomPieces(input, rand, 1, 200), `seed ${seed}`)]++;
      }
      assert.ok(counts.error > 0 && counts.ok > 0, JSON.stringify(counts));
    });
  });

  describe('on a real Chromium recording', () => {
    const fixture = join(process.cwd(), 'test/fixtures/chromium-opus.webm');
    const recorderChunks = join(process.cwd(), 'test/fixtures/chromium-opus.chunks.json');
    const load = (): Bytes => {
      assert.ok(existsSync(fixture), `missing ${fixture}: record it first`);
      return new Uint8Array(readFileSync(fixture));
    };

    it('emits an init of 100–1000 bytes, then a sync chunk at each of more than 10 Clusters', () => {
      const data = load();
      const outcome = runSplitter([data]);
      const [init, first] = outcome.chunks;
      assert.ok(init && first);
      assert.equal(init.kind, 'init');
      assert.ok(init.bytes.length >= 100 && init.bytes.length <= 1000, `init is ${init.bytes.length} bytes`);
      assert.equal(first.kind, 'media');
      assert.equal(first.syncPoint, true);
      assert.deepEqual(Array.from(first.bytes.subarray(0, 4)), Array.from(CLUSTER_ID));
      assert.ok(outcome.syncOffsets.length > 10, `${outcome.syncOffsets.length} Clusters`);
      assertSplit(outcome, data, { initLength: init.bytes.length, clusterOffsets: findClusterIds(data) });
    });

    it('emits identical output when split into two pushes at every offset', () => {
      const data = load();
      const reference = runSplitter([data]);
      const expected = { initLength: reference.init?.length ?? -1, clusterOffsets: reference.syncOffsets };
      for (let at = 0; at <= data.length; at++) {
        assertSplit(runSplitter(splitAt(data, [at])), data, expected, `split at ${at}`);
      }
    });

    it('emits identical output when fed byte by byte or in random pieces', () => {
      const data = load();
      const reference = runSplitter([data]);
      const expected = { initLength: reference.init?.length ?? -1, clusterOffsets: reference.syncOffsets };
      assertSplit(runSplitter(byteByByte(data)), data, expected, 'byte by byte');
      for (let seed = 1; seed <= 50; seed++) {
        const pieces = randomPieces(data, mulberry32(seed), 1, 2048);
        assertSplit(runSplitter(pieces), data, expected, `seed ${seed}`);
      }
    });

    it("emits identical output in the recorder's own chunks, holding no byte back", () => {
      const data = load();
      const sizes: unknown = JSON.parse(readFileSync(recorderChunks, 'utf8'));
      assert.ok(Array.isArray(sizes) && sizes.every((n) => Number.isInteger(n)));
      const offsets: number[] = [];
      let at = 0;
      for (const size of sizes as number[]) {
        at += size;
        offsets.push(at);
      }
      assert.equal(offsets.pop(), data.length);
      const reference = runSplitter([data]);
      const outcome = runSplitter(splitAt(data, offsets));
      assertSplit(outcome, data, {
        initLength: reference.init?.length ?? -1,
        clusterOffsets: reference.syncOffsets,
      });
      assert.equal(outcome.maxHeldAfterInit, 0);
    });
  });
});
