import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { loadFixture, watchStatus } from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

/**
 * True once `text` holds a whole final answer: any 1xx heads, then a non-1xx head and its
 * Content-Length of body (none: the head alone, as a source's `200 OK` that keeps the socket open).
 */
function hasFinalAnswer(text: string): boolean {
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) return false;
    const head = text.slice(at, end);
    const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    if (code >= 100 && code < 200) {
      at = end + 4;
      continue;
    }
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    return text.length >= end + 4 + length;
  }
}

/**
 * Sends a raw request head (and optional body bytes) on a fresh socket; resolves with what came back
 * once the server's final answer is complete or it closed the socket; rejects after 5 s.
 */
function rawRequest(
  port: number,
  head: string,
  body?: Buffer,
): Promise<{ text: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`no whole answer in 5 s: ${JSON.stringify(text)}`)),
      5_000,
    );
    const done = (): void => {
      clearTimeout(timer);
      resolve({ text, socket });
    };
    socket.on('data', (b) => {
      text += b.toString('latin1');
      if (hasFinalAnswer(text)) done();
    });
    socket.on('close', done);
    socket.on('error', reject);
    socket.write(head);
    if (body) socket.write(body);
  });
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

describe('Icecast source clients', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({ sourceTimeoutMs: 1_000 });
    port = t.server.httpPort;
  });
  after(() => t.close());

  for (const legacy of [false, true]) {
    it(`takes ffmpeg's WebM/Opus over icecast:// (${legacy ? 'SOURCE' : 'PUT'}) and a listener decodes 440 Hz`, async () => {
      const mount = legacy ? 'legacy' : 'ffwebm';
      const status = await watchStatus(`${t.wsUrl}${mount}`);
      const src = startFfmpegSource({
        url: `icecast://source:${t.streamKey}@127.0.0.1:${port}/${mount}`,
        format: 'webm',
        seconds: 8,
        legacy,
        extraArgs: ['-ice_name', 'Room 4 radio', '-ice_genre', 'talk'],
      });
      try {
        await status.waitFor((m) => m.state === 'live', 10_000);
        const { samples, code } = await decodeWithFfmpeg(`${t.baseUrl}/${mount}.webm`, 2);
        assert.equal(code, 0);
        const { hz, rms } = dominantHz(samples);
        assert.ok(Math.abs(hz - 440) <= 6, `dominant ${hz} Hz`);
        assert.ok(rms > 0.05, `rms ${rms}`);
        const snap = t.server.hub.snapshot(mount);
        assert.equal(snap.info.name, 'Room 4 radio');
        assert.equal(snap.info.genre, 'talk');
      } finally {
        src.stop();
      }
      // The source went away: the mount goes offline.
      await status.waitFor(
        (m) => m.state === 'offline' && status.messages.some((x) => x.state === 'live'),
        5_000,
      );
      status.close();
    });
  }

  it("takes a chunked PUT (ffmpeg -method PUT) into the same mount path, titled by the WebM's own tags", async () => {
    const status = await watchStatus(`${t.wsUrl}chunked`);
    const src = startFfmpegSource({
      url: `http://source:${t.streamKey}@127.0.0.1:${port}/chunked`,
      format: 'webm',
      seconds: 6,
      extraArgs: ['-metadata', 'title=Morning lesson', '-metadata', 'artist=Room 4'],
    });
    try {
      const live = await status.waitFor((m) => m.state === 'live', 10_000);
      // ffmpeg writes the title in Info and the artist in Tags, before the first Cluster.
      assert.equal(live.title, 'Room 4 - Morning lesson');
      const { samples } = await decodeWithFfmpeg(`${t.baseUrl}/chunked`, 1.5);
      assert.ok(Math.abs(dominantHz(samples).hz - 440) <= 6);
    } finally {
      src.stop();
    }
    status.close();
  });

  it('answers 401 with a Basic challenge to a wrong password or user', async () => {
    for (const auth of [basic('source', 'wrong-password'), basic('admin', t.streamKey), '']) {
      const { text, socket } = await rawRequest(
        port,
        `PUT /live HTTP/1.1\r\nHost: x\r\nContent-Type: audio/webm\r\n${auth ? `Authorization: ${auth}\r\n` : ''}\r\n`,
      );
      assert.match(text, /^HTTP\/1\.[01] 401 /, text);
      assert.match(text, /WWW-Authenticate: Basic/i);
      assert.match(text, /AUTH_BAD_KEY/);
      socket.destroy();
    }
    assert.ok(!JSON.stringify(t.logs).includes('wrong-password'));
  });

  it('answers 415 naming the accepted types to an unsupported content type', async () => {
    const { text, socket } = await rawRequest(
      port,
      `SOURCE /live HTTP/1.0\r\nContent-Type: audio/flac\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
    );
    assert.match(text, /^HTTP\/1\.0 415 /);
    assert.match(text, /audio\/webm/);
    assert.match(text, /audio\/mpeg/);
    socket.destroy();
  });

  it('answers 409 to a second source on a busy mount and keeps the first one on air', async () => {
    const head = `SOURCE /busy HTTP/1.0\r\nContent-Type: audio/webm\r\nAuthorization: ${basic('source', t.streamKey)}\r\nContent-Length: 0\r\n\r\n`;
    // libshout style: Content-Length 0, wait for 200, then stream the body on the same connection.
    const first = await rawRequest(port, head);
    assert.match(first.text, /^HTTP\/1\.0 200 OK/);
    for (const c of CHUNKS.slice(0, 5)) first.socket.write(c);
    const status = await watchStatus(`${t.wsUrl}busy`);
    await status.waitFor((m) => m.state === 'live');
    const second = await rawRequest(port, head);
    assert.match(second.text, /^HTTP\/1\.0 409 /);
    assert.match(second.text, /MOUNT_IN_USE/);
    second.socket.destroy();
    assert.equal(t.server.hub.snapshot('busy').state, 'live');
    first.socket.destroy();
    await status.waitFor((m) => m.state === 'offline');
    status.close();
  });

  it('sends 100 Continue when asked and drops a source that goes silent', async () => {
    const status = await watchStatus(`${t.wsUrl}quiet`);
    const { text, socket } = await rawRequest(
      port,
      `PUT /quiet HTTP/1.1\r\nHost: x\r\nContent-Type: audio/webm\r\nExpect: 100-continue\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
      CHUNKS[0],
    );
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.0 200 OK/);
    await status.waitFor((m) => m.state === 'live');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const t0 = Date.now();
    await status.waitFor((m) => m.state === 'offline', 5_000);
    await closed;
    const ms = Date.now() - t0;
    assert.ok(ms >= 500 && ms < 3_000, `dropped after ${ms} ms (timeout 1000 ms)`);
    status.close();
  });

  it('ends the broadcast on garbage without harming the HTTP server', async () => {
    const { text, socket } = await rawRequest(
      port,
      `PUT /junk HTTP/1.1\r\nHost: x\r\nContent-Type: audio/webm\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
      Buffer.from('definitely not webm '.repeat(10)),
    );
    assert.match(text, /^HTTP\/1\.0 200 OK/);
    await new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.on('close', () => resolve());
    });
    assert.equal(t.server.hub.snapshot('junk').state, 'offline');
    assert.ok(t.logs.some((l) => l.code === 'WEBM_CORRUPT'));
    const res = await fetch(`${t.baseUrl}/api/info`);
    assert.equal(res.status, 200);
  });
});
