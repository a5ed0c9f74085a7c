/**
 * Hostile media against one real server with a live broadcast (ffmpeg) and two real listeners: random
 * bodies, truncated and oversized EBML, absurd vints, broken Ogg, MP3/ADTS garbage and header floods, sent as an Icecast source (PUT) and as a
 * browser chunk. A source client has its 200 before its body, so for PUT what it sees is the connection
 * closed; the code is in the operator's log line. A browser chunk gets the exact status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { OggOpusMuxer } from '../../src/server/ogg/muxer.js';
import { FLAG_BOS, sealPage, writePage } from '../../src/server/ogg/page.js';
import { makeOpusTags, parseOpusHead } from '../../src/server/opus/opus-packet.js';
import { ID_CLUSTER, ID_EBML, ID_SEGMENT, ID_TRACKS } from '../../src/server/webm/ids.js';
import type { Bytes } from '../../tools/bytes.js';
import { bytes, concatBytes, mulberry32, randomBytes } from '../../tools/bytes.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import {
  ebmlHeader,
  encodeId,
  infoElement,
  simpleBlock,
  tracksElement,
  uintElement,
  unknownSizeElement,
} from '../../tools/webm.js';
import { loadFixture, postChunk, startSession } from '../helpers/clients.js';
import type { RawResult, Victim } from '../helpers/hostile.js';
import { basic, hostileCases, liveMounts, rawExchange, startVictim } from '../helpers/hostile.js';
import { FLAG_CONTINUED, listPages, rawPage, readFixture } from '../helpers/ogg.js';

const SOURCE_TIMEOUT_MS = 3_000;
const WEBM = loadFixture().bytes;
const OGG = readFixture('test/fixtures/ffmpeg-opus.ogg');
const OGG_PAGES = listPages(OGG);
const FIRST_CLUSTER = WEBM.indexOf(Buffer.from(encodeId(ID_CLUSTER)));

/** An 8-byte EBML size vint holding `n` (up to 2^56 - 2; all ones would mean "unknown"). */
function size8(n: bigint): Bytes {
  const b = new Uint8Array(8);
  let r = n;
  for (let i = 7; i >= 0; i--) {
    b[i] = Number(r & 0xffn);
    r >>= 8n;
  }
  b[0] = (b[0] as number) | 0x01;
  return b;
}

const INIT = concatBytes([ebmlHeader(), unknownSizeElement(ID_SEGMENT), infoElement(), tracksElement()]);
const CLUSTER_OPEN = concatBytes([unknownSizeElement(ID_CLUSTER), uintElement(0xe7, 0)]);

/** Broken WebM, each with the error a browser upload of it gets. */
const BAD_WEBM: ReadonlyArray<[string, Bytes, number, string]> = [
  [
    'an EBML header declaring 1 TiB',
    concatBytes([encodeId(ID_EBML), size8(2n ** 40n)]),
    413,
    'WEBM_INIT_TOO_LARGE',
  ],
  [
    'Tracks declaring 200 KiB',
    concatBytes([
      ebmlHeader(),
      unknownSizeElement(ID_SEGMENT),
      infoElement(),
      encodeId(ID_TRACKS),
      size8(200n * 1024n),
    ]),
    413,
    'WEBM_INIT_TOO_LARGE',
  ],
  [
    'a SimpleBlock declaring 8 GiB',
    concatBytes([INIT, CLUSTER_OPEN, bytes(0xa3), size8(2n ** 33n)]),
    413,
    'WEBM_ELEMENT_TOO_LARGE',
  ],
  [
    'a SimpleBlock one byte over 4 MiB',
    concatBytes([INIT, CLUSTER_OPEN, bytes(0xa3), size8(4n * 1024n * 1024n + 1n)]),
    413,
    'WEBM_ELEMENT_TOO_LARGE',
  ],
  [
    'a Void of 2^56 - 2 bytes (largest known vint)',
    concatBytes([
      ebmlHeader(),
      unknownSizeElement(ID_SEGMENT),
      bytes(0xec, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe),
    ]),
    422,
    'WEBM_CORRUPT',
  ],
  [
    'a Cluster running past its Segment',
    concatBytes([
      ebmlHeader(),
      encodeId(ID_SEGMENT),
      size8(300n),
      infoElement(),
      tracksElement(),
      encodeId(ID_CLUSTER),
      size8(5000n),
    ]),
    422,
    'WEBM_CORRUPT',
  ],
  [
    'a size vint starting 0x00',
    concatBytes([encodeId(ID_EBML), bytes(0x00, 0x00, 0x00)]),
    422,
    'WEBM_CORRUPT',
  ],
  ['an ID vint starting 0x00', bytes(0x00, 0x81, 0x00), 422, 'WEBM_CORRUPT'],
  ['a 5-byte ID', bytes(0x08, 0x01, 0x02, 0x03, 0x04, 0x81, 0x00), 422, 'WEBM_CORRUPT'],
  [
    'the EBML header of unknown size (0xFF)',
    concatBytes([encodeId(ID_EBML), bytes(0xff)]),
    422,
    'WEBM_CORRUPT',
  ],
  [
    'Tracks of unknown size (0x01FF…FF)',
    concatBytes([
      ebmlHeader(),
      unknownSizeElement(ID_SEGMENT),
      infoElement(),
      encodeId(ID_TRACKS),
      bytes(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    ]),
    422,
    'WEBM_CORRUPT',
  ],
  ['64 bytes of 0xFF', new Uint8Array(64).fill(0xff), 422, 'WEBM_CORRUPT'],
  [
    'HTML',
    new TextEncoder().encode('<!doctype html><html><body>not audio</body></html>'),
    422,
    'WEBM_CORRUPT',
  ],
  ['a Cluster before the EBML header', CLUSTER_OPEN, 422, 'WEBM_CORRUPT'],
  [
    'a Segment inside a Segment',
    concatBytes([ebmlHeader(), unknownSizeElement(ID_SEGMENT), unknownSizeElement(ID_SEGMENT)]),
    422,
    'WEBM_CORRUPT',
  ],
  ['a SimpleBlock outside any Cluster', concatBytes([INIT, simpleBlock(0, 10)]), 422, 'WEBM_CORRUPT'],
];

/** The Ogg fixture with `edit` applied to a copy. */
function oggWith(edit: (b: Uint8Array) => void): Bytes {
  const b = OGG.slice();
  edit(b);
  return b;
}

const page = (i: number): { offset: number; bytes: Bytes } =>
  OGG_PAGES[i] as { offset: number; bytes: Bytes };

/** Six pages of 255 full segments continuing one packet: past the demuxer's 256 KiB packet cap. */
function hugeSegmentTables(): Bytes {
  const serial = (OGG_PAGES[0] as { page: { serial: number } }).page.serial;
  const pages = Array.from({ length: 6 }, (_, i) =>
    rawPage(
      { headerType: i > 0 ? FLAG_CONTINUED : 0, serial, sequence: 2 + i },
      new Array<number>(255).fill(255),
      new Uint8Array(255 * 255).fill(7),
    ),
  );
  return concatBytes([page(0).bytes, page(1).bytes, ...pages]);
}

/** Broken Ogg, each with the code the source's session ends with. */
const BAD_OGG: ReadonlyArray<[string, () => Bytes, string]> = [
  [
    'a bad CRC on the fourth page',
    () =>
      oggWith((b) => {
        b[page(3).offset + 40] = (b[page(3).offset + 40] as number) ^ 0xff;
      }),
    'OGG_CORRUPT',
  ],
  [
    'a bad CRC on the first page',
    () =>
      oggWith((b) => {
        b[30] = (b[30] as number) ^ 0x01;
      }),
    'OGG_CORRUPT',
  ],
  [
    'a bad capture pattern on the first page',
    () =>
      oggWith((b) => {
        b[3] = 0x54;
      }),
    'OGG_CORRUPT',
  ],
  [
    'a bad capture pattern mid-stream',
    () =>
      oggWith((b) => {
        b[page(5).offset + 1] = 0x41;
      }),
    'OGG_CORRUPT',
  ],
  [
    'stream structure version 1',
    () =>
      oggWith((b) => {
        b[page(4).offset + 4] = 1;
        sealPage(b, page(4).offset, page(4).bytes.length);
      }),
    'OGG_CORRUPT',
  ],
  [
    'an OpusHead with 0 channels',
    () =>
      oggWith((b) => {
        b[page(0).offset + 28 + 9] = 0;
        sealPage(b, 0, page(0).bytes.length);
      }),
    'OGG_CORRUPT',
  ],
  ['huge segment tables continuing one packet', hugeSegmentTables, 'OGG_PAGE_TOO_LARGE'],
  ['Vorbis instead of Opus', () => readFixture('test/fixtures/ffmpeg-vorbis.ogg'), 'OGG_CORRUPT'],
  [
    'garbage after the headers',
    () => concatBytes([page(0).bytes, page(1).bytes, new Uint8Array(5000).fill(0x5a)]),
    'OGG_CORRUPT',
  ],
];

describe('hostile media', () => {
  let t: TestServer;
  let port: number;
  let v: Victim;
  let n = 0;
  before(async () => {
    t = await startTestServer({ sourceTimeoutMs: SOURCE_TIMEOUT_MS, ingestIdleTimeoutMs: SOURCE_TIMEOUT_MS });
    port = t.server.httpPort;
    v = await startVictim(t);
  });
  after(async () => {
    v.stop();
    await t.close();
  });
  const hostile = hostileCases('media', () => v);

  /** A fresh mount name for each source, so log lines and state belong to one case. */
  const nextMount = (): string => `h${++n}`;

  /** Sends `body` as an Icecast PUT of `type` with a Content-Length, waits for the server to close. */
  function put(
    mount: string,
    type: string,
    body: Bytes,
    headers = `Content-Length: ${body.length}\r\n`,
  ): Promise<RawResult> {
    return rawExchange(
      port,
      [
        `PUT /${mount} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAuthorization: ${basic('source', t.streamKey)}\r\n${headers}\r\n`,
        body,
      ],
      // As ffmpeg and libshout do: the body only after the server's 200.
      { timeoutMs: SOURCE_TIMEOUT_MS + 4_000, answerFirst: /^HTTP\/1\.[01] \d{3} [^\r]*\r\n\r\n/ },
    );
  }

  /** After a PUT: it was taken (200), the connection is closed, the mount is offline, and the session ended so. */
  async function assertSourceEnded(
    mount: string,
    r: RawResult,
    reason: string,
    code?: string,
  ): Promise<void> {
    assert.match(r.text, /^HTTP\/1\.0 200 OK/, `${mount}: ${r.text.slice(0, 120)}`);
    assert.ok(r.closed, `${mount}: the server closes the connection`);
    assert.ok(!(await liveMounts(t.baseUrl)).includes(mount), `${mount} is offline again`);
    const ended = t.logs.find((l) => l.msg === 'ingest session ended' && l.mount === mount);
    assert.ok(ended, `${mount}: no 'ingest session ended' line`);
    assert.equal(ended.reason, reason, JSON.stringify(ended));
    if (code !== undefined) assert.equal(ended.code, code, JSON.stringify(ended));
  }

  /** Posts `body` as chunk 0 of a new browser broadcast; returns the status and error code. */
  async function chunk(body: Bytes): Promise<{ status: number; code: string | undefined }> {
    const mount = nextMount();
    const s = await startSession(t.baseUrl, mount, t.streamKey);
    assert.ok(s.session, JSON.stringify(s.body));
    const r = await postChunk(t.baseUrl, mount, s.session.sessionId, 0, body);
    if (r.status === 200) {
      const del = await fetch(`${t.baseUrl}/api/ingest/${mount}/session`, {
        method: 'DELETE',
        headers: { 'x-onair-session': s.session.sessionId },
      });
      assert.equal(del.status, 200);
    }
    assert.ok(!(await liveMounts(t.baseUrl)).includes(mount), `${mount} is offline again`);
    return { status: r.status, code: r.body.error?.code };
  }

  describe('random bytes as an Icecast PUT body', () => {
    for (const [type, code] of [
      ['audio/webm', 'WEBM_CORRUPT'],
      ['audio/ogg', 'OGG_CORRUPT'],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        for (const size of [4 * 1024, 256 * 1024]) {
          hostile(`ends a ${type} source of ${size} random bytes (seed ${seed}) with ${code}`, async () => {
            const mount = nextMount();
            const r = await put(mount, type, randomBytes(size, mulberry32(seed)));
            await assertSourceEnded(mount, r, 'error', code);
          });
        }
      }
    }

    for (const seed of [4, 5]) {
      hostile(`ends a WebM source whose valid init is followed by random bytes (seed ${seed})`, async () => {
        const mount = nextMount();
        const r = await put(
          mount,
          'audio/webm',
          concatBytes([INIT, CLUSTER_OPEN, randomBytes(64 * 1024, mulberry32(seed))]),
        );
        assert.ok(r.closed);
        const ended = t.logs.find((l) => l.msg === 'ingest session ended' && l.mount === mount);
        // Random element sizes may run past the body (the source just ends) or break the stream.
        if (ended?.reason === 'error') assert.match(String(ended.code), /^WEBM_/);
        else assert.equal(ended?.reason, 'stopped');
        assert.ok(!(await liveMounts(t.baseUrl)).includes(mount));
      });
    }

    hostile('ends a chunked source whose chunk size is not hex', async () => {
      const mount = nextMount();
      const r = await put(
        mount,
        'audio/ogg',
        new TextEncoder().encode('zz\r\nhello\r\n'),
        'Transfer-Encoding: chunked\r\n',
      );
      await assertSourceEnded(mount, r, 'error');
    });

    hostile('ends a chunked source whose chunk-size line never ends', async () => {
      const mount = nextMount();
      const r = await put(
        mount,
        'audio/webm',
        new Uint8Array(4096).fill(0x31),
        'Transfer-Encoding: chunked\r\n',
      );
      await assertSourceEnded(mount, r, 'error');
    });

    hostile('drops a source with a nonsense Content-Length once it goes silent', async () => {
      const mount = nextMount();
      const r = await put(
        mount,
        'audio/ogg',
        OGG.subarray(0, 4000),
        'Content-Length: -18446744073709551616\r\n',
      );
      await assertSourceEnded(mount, r, 'idle');
    });
  });

  describe('truncated WebM', () => {
    const offsets = [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      12,
      16,
      24,
      31,
      32,
      33,
      40,
      48,
      64,
      80,
      100,
      120,
      FIRST_CLUSTER - 1,
      FIRST_CLUSTER,
      FIRST_CLUSTER + 1,
      FIRST_CLUSTER + 4,
      FIRST_CLUSTER + 5,
      FIRST_CLUSTER + 12,
      FIRST_CLUSTER + 100,
      1_000,
      2_000,
      5_000,
      12_345,
      25_000,
      WEBM.length - 1,
    ];
    for (const at of offsets) {
      hostile(`takes the WebM fixture cut at byte ${at} as a source that just ends`, async () => {
        const mount = nextMount();
        const r = await put(mount, 'audio/webm', WEBM.subarray(0, at));
        await assertSourceEnded(mount, r, 'stopped');
      });
    }
    for (const at of [5, 40, FIRST_CLUSTER - 1, FIRST_CLUSTER + 3, 3_000]) {
      hostile(
        `acknowledges a browser chunk of the fixture cut at byte ${at} (200) and ends on request`,
        async () => {
          assert.deepEqual(await chunk(WEBM.subarray(0, at)), { status: 200, code: undefined });
        },
      );
    }
  });

  describe('oversized and absurd EBML sizes', () => {
    for (const [name, body, status, code] of BAD_WEBM) {
      hostile(`answers a browser chunk with ${name} with ${status} ${code}`, async () => {
        assert.deepEqual(await chunk(body), { status, code });
      });
      hostile(`ends an Icecast source with ${name} with ${code}`, async () => {
        const mount = nextMount();
        const r = await put(mount, 'audio/webm', body);
        await assertSourceEnded(mount, r, 'error', code);
      });
    }
  });

  describe('broken Ogg', () => {
    for (const [name, body, code] of BAD_OGG) {
      hostile(`ends an Ogg source with ${name} with ${code}`, async () => {
        const mount = nextMount();
        const r = await put(mount, 'audio/ogg', body());
        await assertSourceEnded(mount, r, 'error', code);
      });
    }
    for (const at of [1, 4, 27, 28, 46, 47, 100, 137, 500, 1141, 5_000, OGG.length - 1]) {
      hostile(`takes the Ogg fixture cut at byte ${at} as a source that just ends`, async () => {
        const mount = nextMount();
        const r = await put(mount, 'audio/ogg', OGG.subarray(0, at));
        await assertSourceEnded(mount, r, 'stopped');
      });
    }
  });

  describe('chained-Ogg abuse', () => {
    /** The fixture's two header pages again as a new link with `serial` (the fixture itself has another). */
    function headerLink(serial: number): Bytes {
      const pages = OGG_PAGES.slice(0, 2).map(({ bytes: b }) => {
        const copy = b.slice();
        new DataView(copy.buffer).setUint32(14, serial, true);
        sealPage(copy, 0, copy.length);
        return copy;
      });
      return concatBytes(pages);
    }
    /** OpusHead of mapping family 1 with six channels (5.1), one stream per channel. */
    function surroundHead(): Bytes {
      const head = new Uint8Array(27);
      head.set(OGG_PAGES[0]?.page.body.subarray(0, 19) as Bytes);
      head[9] = 6;
      head[18] = 1;
      head[19] = 6;
      head.set([0, 1, 2, 3, 4, 5], 21);
      return head;
    }

    hostile(
      'takes a flood of 3,000 header-only links (BOS pages), then audio, as one broadcast',
      async () => {
        const mount = nextMount();
        const flood = concatBytes(Array.from({ length: 3_000 }, (_, i) => headerLink(0x7000_0000 + i)));
        const r = await put(mount, 'audio/ogg', concatBytes([flood, OGG]));
        await assertSourceEnded(mount, r, 'stopped');
      },
    );

    hostile(
      'ends a source whose next link switches to 5.1 with OGG_CORRUPT, never a corrupt stream',
      async () => {
        const mount = nextMount();
        const link = concatBytes([
          writePage({ headerType: FLAG_BOS, granule: 0, serial: 77, sequence: 0 }, [surroundHead()]),
          writePage({ granule: 0, serial: 77, sequence: 1 }, [makeOpusTags('x', ['TITLE=six'])]),
        ]);
        const r = await put(mount, 'audio/ogg', concatBytes([OGG, link, OGG]));
        await assertSourceEnded(mount, r, 'error', 'OGG_CORRUPT');
      },
    );

    hostile(
      'ends a source whose next link carries a 300 KB comment header with OGG_PAGE_TOO_LARGE',
      async () => {
        const mount = nextMount();
        const header = parseOpusHead(OGG_PAGES[0]?.page.body as Bytes);
        const link = new OggOpusMuxer({ serial: 91 }).header(header, {
          vendor: 'x',
          comments: [`TITLE=${'a'.repeat(300_000)}`],
        });
        const r = await put(mount, 'audio/ogg', concatBytes([OGG, link, OGG]));
        await assertSourceEnded(mount, r, 'error', 'OGG_PAGE_TOO_LARGE');
      },
    );
  });

  describe('MP3 and ADTS abuse', () => {
    /** 1 s of real MP3 frames (ffmpeg, no ID3 tag). */
    const mp3 = ((): Bytes => {
      const run = spawnSync('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1'],
        ...['-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', '-'],
      ]);
      assert.equal(run.status, 0, run.stderr.toString());
      return new Uint8Array(run.stdout);
    })();
    /** `header` repeated to `size` bytes. */
    const repeat = (header: number[], size: number): Bytes =>
      Uint8Array.from({ length: size }, (_, i) => header[i % header.length] as number);

    for (const [type, seed] of [
      ['audio/mpeg', 1],
      ['audio/aac', 2],
    ] as const) {
      hostile(`ends a ${type} source of 256 KiB random bytes with MPEG_CORRUPT`, async () => {
        const mount = nextMount();
        const r = await put(mount, type, randomBytes(256 * 1024, mulberry32(seed)));
        await assertSourceEnded(mount, r, 'error', 'MPEG_CORRUPT');
      });
    }

    hostile('ends a flood of MP3 frame headers that never frame each other with MPEG_CORRUPT', async () => {
      const mount = nextMount();
      // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: each claims 417 bytes, and the next header is never there.
      const r = await put(mount, 'audio/mpeg', repeat([0xff, 0xfb, 0x90, 0x00], 256 * 1024));
      await assertSourceEnded(mount, r, 'error', 'MPEG_CORRUPT');
    });

    hostile(
      'ends ADTS headers each declaring the largest frame (8191 bytes) over garbage with MPEG_CORRUPT',
      async () => {
        const mount = nextMount();
        // Sync, MPEG-4, no CRC; 44.1 kHz, stereo; frame length 8191.
        const header = [0xff, 0xf1, 0x50, 0x83, 0xff, 0xfc, 0x00];
        const r = await put(
          mount,
          'audio/aac',
          repeat([...header, ...new Array<number>(50).fill(0x11)], 256 * 1024),
        );
        await assertSourceEnded(mount, r, 'error', 'MPEG_CORRUPT');
      },
    );

    hostile('ends a live MP3 source that turns into garbage with MPEG_CORRUPT', async () => {
      const mount = nextMount();
      const garbage = randomBytes(200 * 1024, mulberry32(9)).map((b) => (b === 0xff ? 0 : b));
      const r = await put(mount, 'audio/mpeg', concatBytes([mp3, garbage]));
      await assertSourceEnded(mount, r, 'error', 'MPEG_CORRUPT');
    });

    hostile('takes an ID3 tag declaring 256 MB, cut short, as a source that just ends', async () => {
      const mount = nextMount();
      const id3 = bytes(0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f);
      const r = await put(mount, 'audio/mpeg', concatBytes([id3, randomBytes(64 * 1024, mulberry32(4))]));
      await assertSourceEnded(mount, r, 'stopped');
    });
  });

  it('leaves the listeners that stayed through every case with an unbroken 440 Hz tone', async () => {
    await v.assertHeardTone();
  });
});
