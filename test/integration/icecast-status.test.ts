import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../tools/server.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { endSession, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';
import { FIXTURE_OPUS, readFixture } from '../helpers/ogg.js';

const { chunks: CHUNKS } = loadFixture();

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

interface IceStats {
  icestats: Record<string, unknown> & { source?: Record<string, unknown> | Array<Record<string, unknown>> };
}

async function statusJson(t: TestServer): Promise<IceStats> {
  const res = await fetch(`${t.baseUrl}/status-json.xsl`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  return (await res.json()) as IceStats;
}

async function goLive(t: TestServer, mount: string): Promise<string> {
  const { session } = await startSession(t.baseUrl, mount, t.streamKey);
  assert.ok(session);
  await postChunk(t.baseUrl, mount, session.sessionId, 0, CHUNKS[0] as Buffer);
  return session.sessionId;
}

describe('Icecast status-json and metadata', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('leaves out source while nothing is live, an object for one source, an array for several', async () => {
    const none = await statusJson(t);
    assert.equal(none.icestats.source, undefined);
    assert.match(String(none.icestats.server_id), /^onair /);
    assert.match(String(none.icestats.server_start_iso8601), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);

    const a = await goLive(t, 'alpha');
    const one = await statusJson(t);
    const src = one.icestats.source as Record<string, unknown>;
    assert.ok(!Array.isArray(src));
    assert.equal(src.listenurl, `${t.baseUrl}/alpha`);
    assert.equal(src.hls_url, `${t.baseUrl}/alpha.m3u8`);
    assert.equal(src.listeners, 0);
    assert.equal(src.listener_peak, 0);
    assert.equal(src.slow_listeners, 0);
    assert.equal(src.server_name, 'alpha');
    assert.equal(src.title, '');
    assert.match(String(src.stream_start_iso8601), /\+0000$/);

    const b = await goLive(t, 'beta');
    const two = await statusJson(t);
    assert.ok(Array.isArray(two.icestats.source));
    assert.deepEqual(
      (two.icestats.source as Array<Record<string, unknown>>).map((s) => s.listenurl),
      [`${t.baseUrl}/alpha`, `${t.baseUrl}/beta`],
    );
    await endSession(t.baseUrl, 'alpha', a);
    await endSession(t.baseUrl, 'beta', b);
  });

  it("reports a source's ice-* headers as Icecast 2.4 does (public, name, description, genre, url, audio info)", async () => {
    const socket = net.connect(t.server.httpPort, '127.0.0.1');
    const answered = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (b: Buffer) => {
        text += b.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      socket.on('error', reject);
    });
    // libshout's SOURCE, with the headers it sends for a station.
    socket.write(
      `SOURCE /station HTTP/1.0\r\nAuthorization: ${basic('source', t.streamKey)}\r\n` +
        'Content-Type: application/ogg\r\nContent-Length: 0\r\nice-public: 1\r\nice-name: Radio Four\r\n' +
        'ice-description: Talk all day\r\nice-genre: talk\r\nice-url: https://radio4.example/\r\n' +
        'ice-audio-info: ice-samplerate=48000;ice-bitrate=64;ice-channels=2;listeners=99;x=a%20b\r\n\r\n',
    );
    try {
      assert.match(await answered, /^HTTP\/1\.0 200 /);
      const status = await watchStatus(`${t.wsUrl}station`);
      socket.write(readFixture(FIXTURE_OPUS));
      await status.waitFor((m) => m.state === 'live', 5_000);
      status.close();
      const src = (await statusJson(t)).icestats.source as Record<string, unknown>;
      assert.equal(src.public, 1);
      assert.equal(src.server_name, 'Radio Four');
      assert.equal(src.server_description, 'Talk all day');
      assert.equal(src.genre, 'talk');
      assert.equal(src.server_url, 'https://radio4.example/');
      assert.equal(src.server_type, 'audio/ogg');
      assert.equal(src.audio_info, 'ice-samplerate=48000;ice-bitrate=64;ice-channels=2;listeners=99;x=a%20b');
      assert.equal(src['ice-samplerate'], '48000');
      assert.equal(src['ice-bitrate'], '64');
      assert.equal(src['ice-channels'], '2');
      assert.equal(src.x, 'a b', 'values are URL-unescaped');
      assert.equal(src.listeners, 0, 'a pair never overrides a field of our own');
    } finally {
      socket.destroy();
    }
  });

  it('sets the title with source or admin credentials and pushes it to status watchers at once', async () => {
    const id = await goLive(t, 'show');
    const status = await watchStatus(`${t.wsUrl}show`);
    await status.waitFor((m) => m.state === 'live');
    const t0 = Date.now();
    const res = await fetch(
      `${t.baseUrl}/admin/metadata?mount=/show&mode=updinfo&song=${encodeURIComponent('Jazz hour — Miles Davis')}`,
      { headers: { authorization: basic('source', t.streamKey) } },
    );
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<return>1<\/return>/);
    const msg = await status.waitFor((m) => m.title === 'Jazz hour — Miles Davis');
    assert.ok(Date.now() - t0 < 150, 'title pushed at once');
    assert.equal(msg.state, 'live');
    const src = (await statusJson(t)).icestats.source as Record<string, unknown>;
    assert.equal(src.title, 'Jazz hour — Miles Davis');

    const byAdmin = await fetch(`${t.baseUrl}/admin/metadata?mount=/show&mode=updinfo&song=News`, {
      headers: { authorization: basic('admin', TEST_ADMIN_TOKEN) },
    });
    assert.equal(byAdmin.status, 200);
    await status.waitFor((m) => m.title === 'News');
    status.close();
    await endSession(t.baseUrl, 'show', id);
  });

  it('answers metadata errors with the right status', async () => {
    const id = await goLive(t, 'meta');
    const url = (q: string): string => `${t.baseUrl}/admin/metadata?${q}`;
    const cases: Array<[string, string | undefined, number, string]> = [
      ['mount=/meta&mode=updinfo&song=x', basic('source', 'wrong-key'), 401, 'AUTH_BAD_KEY'],
      ['mount=/meta&mode=updinfo&song=x', basic('admin', t.streamKey), 401, 'AUTH_BAD_KEY'],
      ['mount=/meta&mode=updinfo&song=x', undefined, 401, 'AUTH_BAD_KEY'],
      ['mount=/meta&mode=other&song=x', basic('source', t.streamKey), 400, 'BAD_REQUEST'],
      ['mount=/Nope!&mode=updinfo&song=x', basic('source', t.streamKey), 400, 'MOUNT_INVALID'],
      ['mount=/offline&mode=updinfo&song=x', basic('source', t.streamKey), 404, 'LISTEN_OFFLINE'],
    ];
    for (const [q, auth, status, code] of cases) {
      const res = await fetch(url(q), { headers: auth ? { authorization: auth } : {} });
      assert.equal(res.status, status, q);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, code, q);
    }
    assert.ok(!JSON.stringify(t.logs).includes('wrong-key'));
    await endSession(t.baseUrl, 'meta', id);
  });
});
