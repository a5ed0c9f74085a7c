/**
 * Hostile HTTP input against one real server with a live broadcast (ffmpeg) and two real listeners:
 * random bytes, oversized heads, bad Basic auth, wrong content types, slow and half-open requests,
 * 1,000 idle sockets. Each case checks what the hostile client gets (status, or the connection cut at
 * the right time), then that the broadcast and its listeners are unharmed.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mulberry32, randomBytes } from '../../tools/bytes.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { listen, startSession, watchStatus } from '../helpers/clients.js';
import type { RawResult, Victim } from '../helpers/hostile.js';
import {
  basic,
  hostileCases,
  jsonBodyOf,
  liveMounts,
  rawExchange,
  startVictim,
  statusOf,
} from '../helpers/hostile.js';
import { readFixture } from '../helpers/ogg.js';

/** Short, so cases that wait for it stay quick; the minimum the config allows is 1000. */
const HEADER_TIMEOUT_MS = 2_000;
const SOURCE_TIMEOUT_MS = 3_000;
const OGG = readFixture('test/fixtures/ffmpeg-opus.ogg');

function assertStatus(r: RawResult, status: number, what: string): void {
  assert.equal(statusOf(r.text), status, `${what}: got ${JSON.stringify(r.text.slice(0, 200))}`);
  assert.ok(r.closed, `${what}: the server closes the connection`);
}

/** Asserts that the server cut the connection, without an answer, about `ms` after connect. */
function assertCutAfter(r: RawResult, ms: number, what: string): void {
  assert.ok(r.closed, `${what}: still open after ${r.ms} ms`);
  assert.equal(r.text, '', `${what}: no answer expected, got ${JSON.stringify(r.text.slice(0, 100))}`);
  assert.ok(r.ms >= ms - 100 && r.ms < ms + 1_500, `${what}: cut after ${r.ms} ms, expected about ${ms}`);
}

describe('hostile HTTP input', () => {
  let t: TestServer;
  let port: number;
  let v: Victim;
  before(async () => {
    t = await startTestServer({
      headerTimeoutMs: HEADER_TIMEOUT_MS,
      sourceTimeoutMs: SOURCE_TIMEOUT_MS,
      ingestIdleTimeoutMs: SOURCE_TIMEOUT_MS,
      // Bad-auth cases would otherwise lock 127.0.0.1 out (429) for every later case.
      authMaxFailures: 1_000_000,
    });
    port = t.server.httpPort;
    v = await startVictim(t);
    await v.assertAlive('before any case');
  });
  after(async () => {
    v.stop();
    await t.close();
  });
  const hostile = hostileCases('http', () => v);

  describe('random bytes to the HTTP port', () => {
    for (const seed of [1, 2, 3]) {
      for (const size of [8, 64, 1_024, 16_384, 60_000]) {
        hostile(`answers ${size} random bytes (seed ${seed}) with 400 and closes`, async () => {
          const r = await rawExchange(port, [randomBytes(size, mulberry32(seed))]);
          assertStatus(r, 400, `seed ${seed}, ${size} bytes`);
        });
      }
    }

    for (const seed of [4, 5, 6]) {
      hostile(
        `cuts a connection that sends ${seed - 2} random bytes and then nothing, after the header timeout`,
        async () => {
          // No space: the front door cannot tell the method yet, so it waits for the head.
          const junk = Buffer.from(randomBytes(seed - 2, mulberry32(seed))).map((b) =>
            b === 0x20 ? 0x21 : b,
          );
          const r = await rawExchange(port, [junk], { timeoutMs: HEADER_TIMEOUT_MS + 3_000 });
          assertCutAfter(r, HEADER_TIMEOUT_MS, `${junk.length} bytes`);
        },
      );
    }

    hostile(
      'closes a connection that sends 1 MiB of random bytes (400 when the answer gets through)',
      async () => {
        const r = await rawExchange(port, [randomBytes(1024 * 1024, mulberry32(7))]);
        assert.ok(r.closed, `still open after ${r.ms} ms`);
        if (r.text !== '') assert.equal(statusOf(r.text), 400, r.text.slice(0, 100));
      },
    );
  });

  describe('oversized request heads', () => {
    const big = 'x'.repeat(20 * 1024);
    for (const [name, head] of [
      ['a stream GET', `GET /victim.ogg HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`],
      ['an Icecast PUT', `PUT /big HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`],
      ['a session POST', `POST /api/ingest/big/session HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`],
      ['a GET request line', `GET /${big} HTTP/1.1\r\nHost: x\r\n\r\n`],
      [
        'a status-socket upgrade',
        `GET /ws?mount=victim HTTP/1.1\r\nUpgrade: websocket\r\nX-Big: ${big}\r\n\r\n`,
      ],
    ] as const) {
      hostile(`answers ${name} with a 20 KiB head with 431`, async () => {
        const r = await rawExchange(port, [head]);
        assertStatus(r, 431, name);
      });
    }

    hostile(
      'stops reading a head that never ends after answering 431, and cuts it at the header timeout',
      async () => {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        let text = '';
        socket.on('data', (b: Buffer) => {
          text += b.toString('latin1');
        });
        const t0 = Date.now();
        const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - t0)));
        socket.write('GET /victim.ogg HTTP/1.1\r\nX-Endless: ');
        const line = 'y'.repeat(64 * 1024);
        let sent = 0;
        // 8 MiB of header, as fast as the server takes it, until it closes.
        while (!socket.destroyed && sent < 8 * 1024 * 1024) {
          if (!socket.write(line)) await new Promise((r) => socket.once('drain', r).once('close', r));
          sent += line.length;
        }
        const ms = await closed;
        assert.match(text, /^HTTP\/1\.0 431 /);
        assert.ok(ms < HEADER_TIMEOUT_MS + 1_500, `cut after ${ms} ms`);
      },
    );
  });

  describe('bad Basic auth on an Icecast PUT', () => {
    const key = (): string => t.streamKey;
    const cases: Array<[string, () => string, number]> = [
      ['malformed base64', () => 'Basic !!!not*base64!!!', 401],
      ['no colon', () => `Basic ${Buffer.from(`source${key()}`).toString('base64')}`, 401],
      ['an empty credential', () => 'Basic ', 401],
      ['no scheme argument', () => 'Basic', 401],
      ['a Bearer token', () => `Bearer ${key()}`, 401],
      ['a wrong password', () => basic('source', `${key()}x`), 401],
      ['a wrong-case user', () => basic('SOURCE', key()), 401],
      ['a NUL before the user', () => basic('\u0000source', key()), 401],
      ['12 KiB of base64', () => `Basic ${'QUFB'.repeat(3 * 1024)}`, 401],
      ['Digest', () => 'Digest username="source", response="00"', 401],
      ['20 KiB of base64', () => `Basic ${'QUFB'.repeat(5 * 1024)}`, 431],
    ];
    for (const [name, auth, status] of cases) {
      hostile(`answers ${name} with ${status}`, async () => {
        const r = await rawExchange(port, [
          `PUT /authcase HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nAuthorization: ${auth()}\r\n\r\n`,
          OGG.subarray(0, 4096),
        ]);
        assertStatus(r, status, name);
        if (status === 401) {
          assert.match(r.text, /WWW-Authenticate: Basic/i);
          assert.equal(jsonBodyOf(r.text)?.error?.code, 'AUTH_BAD_KEY');
        }
        assert.ok(!(await liveMounts(t.baseUrl)).includes('authcase'), 'nothing went live');
      });
    }

    hostile('answers malformed Basic auth on /admin/metadata with 401', async () => {
      const res = await fetch(`${t.baseUrl}/admin/metadata?mount=/victim&mode=updinfo&song=x`, {
        headers: { authorization: 'Basic %%%' },
      });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'AUTH_BAD_KEY');
    });

    hostile('answers a 12 KiB Bearer key on the session POST with 401', async () => {
      const r = await startSession(t.baseUrl, 'authcase', 'k'.repeat(12 * 1024));
      assert.equal(r.status, 401);
      assert.equal((r.body as { error: { code: string } }).error.code, 'AUTH_BAD_KEY');
    });
  });

  describe('wrong content types', () => {
    for (const type of [
      'audio/flac',
      '',
      'text/html',
      'audio/webmx',
      'application/json; charset=utf-8',
      'x'.repeat(8_000),
    ]) {
      hostile(`answers an Icecast PUT of "${type.slice(0, 30)}" with 415`, async () => {
        const header = type === '' ? '' : `Content-Type: ${type}\r\n`;
        const r = await rawExchange(port, [
          `PUT /typecase HTTP/1.1\r\nHost: x\r\n${header}Authorization: ${basic('source', t.streamKey)}\r\n\r\n`,
          OGG.subarray(0, 1024),
        ]);
        assertStatus(r, 415, type);
        assert.equal(jsonBodyOf(r.text)?.error?.code, 'INGEST_UNSUPPORTED_TYPE');
      });
    }

    hostile('answers a browser chunk of audio/ogg with 415 and keeps the session', async () => {
      const s = await startSession(t.baseUrl, 'typechunk', t.streamKey);
      assert.ok(s.session);
      const res = await fetch(`${t.baseUrl}/api/ingest/typechunk/chunk`, {
        method: 'POST',
        headers: { 'content-type': 'audio/ogg', 'x-onair-session': s.session.sessionId, 'x-onair-seq': '0' },
        body: OGG.subarray(0, 1024),
      });
      assert.equal(res.status, 415);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'INGEST_UNSUPPORTED_TYPE');
      const del = await fetch(`${t.baseUrl}/api/ingest/typechunk/session`, {
        method: 'DELETE',
        headers: { 'x-onair-session': s.session.sessionId },
      });
      assert.equal(del.status, 200);
    });
  });

  describe('slow heads (slowloris)', () => {
    hostile(
      'cuts a GET head trickled one byte per 100 ms at the header timeout; the listeners hear on',
      async () => {
        const before = v.ogg.received().length;
        const head = 'GET /victim.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n'.repeat(10);
        const r = await rawExchange(port, [...head], { gapMs: 100, timeoutMs: HEADER_TIMEOUT_MS + 3_000 });
        assertCutAfter(r, HEADER_TIMEOUT_MS, 'slow GET');
        // 64 kbit/s for two seconds, less the Ogg output's 250 ms gathering: well over 8 KiB.
        assert.ok(v.ogg.received().length - before > 8 * 1024, 'the Ogg listener kept receiving meanwhile');
      },
    );

    hostile('answers a POST head trickled past the header timeout with 408', async () => {
      const head = 'POST /api/ingest/slow/session HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n'.repeat(10);
      const r = await rawExchange(port, [...head], { gapMs: 100, timeoutMs: HEADER_TIMEOUT_MS + 3_000 });
      assertStatus(r, 408, 'slow POST');
      assert.ok(r.ms >= HEADER_TIMEOUT_MS - 100 && r.ms < HEADER_TIMEOUT_MS + 1_500, `408 after ${r.ms} ms`);
    });

    hostile('cuts 50 slow heads at once, each at the header timeout', async () => {
      const head = 'GET /victim.webm HTTP/1.1\r\nHost: 127.0.0.1\r\n'.repeat(20);
      const rs = await Promise.all(
        Array.from({ length: 50 }, () =>
          rawExchange(port, head.match(/.{1,5}/gs) ?? [], {
            gapMs: 150,
            timeoutMs: HEADER_TIMEOUT_MS + 3_000,
          }),
        ),
      );
      for (const r of rs) assertCutAfter(r, HEADER_TIMEOUT_MS, 'one of 50');
    });

    hostile('cuts a TLS connection that stops in its ClientHello at the header timeout', async () => {
      const httpsPort = Number(new URL(t.httpsUrl).port);
      const r = await rawExchange(httpsPort, [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])], {
        timeoutMs: HEADER_TIMEOUT_MS + 3_000,
      });
      assertCutAfter(r, HEADER_TIMEOUT_MS, 'half a TLS ClientHello');
    });
  });

  describe('half-open uploads', () => {
    hostile('drops an Icecast source that sends its headers and a little audio, then stalls', async () => {
      const r = await rawExchange(
        port,
        [
          `PUT /stall HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
          OGG.subarray(0, 3000),
        ],
        { timeoutMs: SOURCE_TIMEOUT_MS + 4_000 },
      );
      assert.match(r.text, /^HTTP\/1\.0 200 OK/);
      assert.ok(r.closed, 'dropped');
      assert.ok(
        r.ms >= SOURCE_TIMEOUT_MS - 100 && r.ms < SOURCE_TIMEOUT_MS + 1_500,
        `dropped after ${r.ms} ms`,
      );
      const ended = t.logs.find((l) => l.msg === 'ingest session ended' && l.mount === 'stall');
      assert.equal(ended?.reason, 'idle');
    });

    hostile('cuts an Icecast PUT whose head stops half-way at the header timeout', async () => {
      const r = await rawExchange(port, [`PUT /stall HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\n`], {
        timeoutMs: HEADER_TIMEOUT_MS + 3_000,
      });
      assertCutAfter(r, HEADER_TIMEOUT_MS, 'half a PUT head');
    });

    hostile('answers a chunk upload that stops half-way with 408 INGEST_IDLE_TIMEOUT', async () => {
      const s = await startSession(t.baseUrl, 'halfchunk', t.streamKey);
      assert.ok(s.session);
      const r = await rawExchange(
        port,
        [
          `POST /api/ingest/halfchunk/chunk HTTP/1.1\r\nHost: x\r\nContent-Type: audio/webm\r\n` +
            `x-onair-session: ${s.session.sessionId}\r\nx-onair-seq: 0\r\nContent-Length: 5000\r\n\r\n`,
          Buffer.alloc(100, 0x1a),
        ],
        { timeoutMs: 14_000 },
      );
      assertStatus(r, 408, 'half a chunk');
      assert.equal(jsonBodyOf(r.text)?.error?.code, 'INGEST_IDLE_TIMEOUT');
      assert.ok(r.ms >= 9_900 && r.ms < 12_000, `408 after ${r.ms} ms`);
    });
  });

  hostile(
    'keeps serving while 1,000 idle TCP sockets are open, then cuts each at the header timeout',
    async () => {
      const sockets: net.Socket[] = [];
      /** Per socket, ms from its connect to the server closing it. */
      const lifetimes: number[] = [];
      await Promise.all(
        Array.from(
          { length: 1_000 },
          () =>
            new Promise<void>((resolve, reject) => {
              const s = net.connect(port, '127.0.0.1');
              s.once('connect', () => {
                const at = Date.now();
                s.once('close', () => lifetimes.push(Date.now() - at));
                resolve();
              });
              s.once('error', reject);
              sockets.push(s);
            }),
        ),
      );
      try {
        for (const s of sockets) s.on('error', () => {});
        // The running listeners go on, and new clients still get in.
        await v.assertAlive('with 1,000 idle sockets open');
        const fresh = listen(`${t.baseUrl}/victim.ogg`);
        assert.equal(await fresh.status, 200);
        await fresh.waitForBytes(2_000, 4_000);
        fresh.stop();
        const status = await watchStatus(`${t.wsUrl}victim`);
        assert.equal((await status.waitFor((m) => m.state === 'live')).mount, 'victim');
        status.close();
        // The server cuts every one of them: they never sent a head.
        await waitUntil(
          'all 1,000 cut',
          HEADER_TIMEOUT_MS + 5_000,
          () => lifetimes.length >= sockets.length,
        ).catch(() => {});
        assert.equal(lifetimes.length, 1_000, `${lifetimes.length} of 1,000 cut by the server`);
        const [min, max] = [Math.min(...lifetimes), Math.max(...lifetimes)];
        // (A connect completes in the kernel a little before the server accepts it and starts its timer.)
        assert.ok(
          min >= HEADER_TIMEOUT_MS - 100 && max < HEADER_TIMEOUT_MS + 2_000,
          `cut after ${min}–${max} ms`,
        );
      } finally {
        for (const s of sockets) s.destroy();
      }
    },
  );

  describe('the WebSocket port with non-WebSocket clients', () => {
    hostile('answers an upgrade to an unknown path with 404 and a JSON error', async () => {
      const r = await rawExchange(port, [
        'GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ]);
      assertStatus(r, 404, 'unknown path');
      assert.equal(jsonBodyOf(r.text)?.error?.code, 'NOT_FOUND');
    });

    hostile('answers an upgrade without a key or with a bad version with 400', async () => {
      for (const head of [
        'GET /ws?mount=victim HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
        'GET /ws?mount=victim HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n',
      ]) {
        const r = await rawExchange(port, [head]);
        assertStatus(r, 400, head.slice(0, 40));
      }
    });

    hostile('answers an upgrade for an invalid mount with 400 MOUNT_INVALID', async () => {
      const r = await rawExchange(port, [
        'GET /ws?mount=..%2Fetc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ]);
      assertStatus(r, 400, 'invalid mount');
      assert.equal(jsonBodyOf(r.text)?.error?.code, 'MOUNT_INVALID');
    });
  });

  describe("libshout's TLS-upgrade probe and its look-alikes", () => {
    hostile('answers the probe as a port without TLS (HTTP/1.0 400, closed) without reading on', async () => {
      const r = await rawExchange(port, [
        'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n\r\n',
        // Whatever follows on the same connection is never read as a request.
        `SOURCE /victim HTTP/1.0\r\nContent-Type: audio/ogg\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
      ]);
      assert.match(r.text, /^HTTP\/1\.0 400 /);
      assert.equal(jsonBodyOf(r.text)?.error?.code, 'BAD_REQUEST');
      assert.match(r.text, /Content-Length: \d+/i, 'libshout reads the body by its length');
      assert.ok(r.closed, 'the connection closes');
      assert.equal((r.text.match(/HTTP\/1\./g) ?? []).length, 1, 'one answer only');
    });

    hostile(
      'answers a TLS upgrade that is not a probe, a huge Upgrade header and a bare OPTIONS sanely',
      async () => {
        const cases: Array<[string, number]> = [
          ['OPTIONS /victim HTTP/1.1\r\nHost: x\r\nUpgrade: tls/1.2\r\n\r\n', 400],
          [`OPTIONS * HTTP/1.1\r\nHost: x\r\nUpgrade: ${'TLS/1.0, '.repeat(1500)}\r\n\r\n`, 400],
          ['OPTIONS * HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n', 0],
          ['OPTIONS /api/info HTTP/1.1\r\nHost: x\r\n\r\n', 0],
        ];
        for (const [head, want] of cases) {
          const r = await rawExchange(port, [head], { timeoutMs: 2_000 });
          const got = statusOf(r.text);
          if (want) assert.equal(got, want, head.slice(0, 60));
          // Not a TLS probe: the HTTP server answers it as before (anything but a crash or a 5xx).
          else assert.ok(got >= 200 && got < 500, `${head.slice(0, 60)} → ${got}`);
        }
      },
    );

    hostile('still upgrades the status socket (a GET with Upgrade: websocket) after probes', async () => {
      const r = await rawExchange(
        port,
        [
          'GET /ws?mount=victim HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ],
        { timeoutMs: 1_000 },
      );
      assert.equal(statusOf(r.text), 101);
    });
  });

  it('leaves the listeners that stayed through every case with an unbroken 440 Hz tone', async () => {
    await v.assertHeardTone();
  });
});
