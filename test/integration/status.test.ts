import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { endSession, listen, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

describe('status socket', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ statusPingIntervalMs: 300 });
  });
  after(() => t.close());

  it('sends offline on connect, then live with listener counts, then offline again', async () => {
    const status = await watchStatus(`${t.wsUrl}live`);
    const first = await status.waitFor(() => true);
    assert.deepEqual(first, {
      type: 'status',
      mount: 'live',
      state: 'offline',
      listeners: 0,
      startedAt: null,
      title: null,
      bytesIn: 0,
    });
    const { session } = await startSession(t.baseUrl, 'live', t.streamKey);
    assert.ok(session);
    const t0 = Date.now();
    await postChunk(t.baseUrl, 'live', session.sessionId, 0, CHUNKS[0] as Buffer);
    const live = await status.waitFor((m) => m.state === 'live');
    assert.ok(Date.now() - t0 < 200, 'live is pushed at once, not on a timer');
    assert.ok(live.startedAt && Math.abs(Date.parse(live.startedAt) - Date.now()) < 5_000);
    assert.ok(live.bytesIn > 0);

    const a = listen(`${t.baseUrl}/live.webm`);
    const b = listen(`${t.baseUrl}/live.webm`);
    await Promise.all([a.status, b.status]);
    await status.waitFor((m) => m.listeners === 2);
    a.stop();
    await status.waitFor((m) => m.listeners === 1 && m.state === 'live');

    await endSession(t.baseUrl, 'live', session.sessionId);
    const off = await status.waitFor((m) => m.state === 'offline' && status.messages.indexOf(m) > 0);
    assert.equal(off.startedAt, null);
    await b.done;
    const states = status.messages.map((m) => m.state).filter((s, i, all) => s !== all[i - 1]);
    assert.deepEqual(states, ['offline', 'live', 'offline']);
    status.close();
  });

  it('pushes nothing while nothing changes, and a changed count within the coalescing window', async () => {
    const status = await watchStatus(`${t.wsUrl}quiet`);
    const { session } = await startSession(t.baseUrl, 'quiet', t.streamKey);
    assert.ok(session);
    for (let i = 0; i < 3; i++)
      await postChunk(t.baseUrl, 'quiet', session.sessionId, i, CHUNKS[i] as Buffer);
    await status.waitFor((m) => m.state === 'live');
    const seen = status.messages.length;
    // Audio keeps coming for two seconds (bytes in grow) but nothing a page shows changes: no message.
    for (let i = 3; i < 30; i++) {
      await postChunk(t.baseUrl, 'quiet', session.sessionId, i, CHUNKS[i] as Buffer);
      await new Promise((r) => setTimeout(r, 70));
    }
    // Only the source's delivery interval may go out, as it settles from the first quick chunks to
    // one every 70 ms or so (a change of more than a quarter each time): a message or two, not one per chunk.
    const later = status.messages.slice(seen);
    assert.ok(later.length <= 2, JSON.stringify(later));
    for (const m of later) {
      const before = status.messages[status.messages.indexOf(m) - 1];
      assert.notEqual(m.sourceIntervalMs, before?.sourceIntervalMs, JSON.stringify(later));
    }
    // A listener joins: the count goes out once the window (200 ms for one socket) has passed.
    const t0 = Date.now();
    const l = listen(`${t.baseUrl}/quiet.pkt`);
    await status.waitFor((m) => m.listeners === 1);
    assert.ok(Date.now() - t0 < 1_000, `count pushed after ${Date.now() - t0} ms`);
    l.stop();
    await endSession(t.baseUrl, 'quiet', session.sessionId);
    status.close();
  });

  it('keeps each mount separate', async () => {
    const one = await watchStatus(`${t.wsUrl}one`);
    const two = await watchStatus(`${t.wsUrl}two`);
    const { session } = await startSession(t.baseUrl, 'one', t.streamKey);
    assert.ok(session);
    await postChunk(t.baseUrl, 'one', session.sessionId, 0, CHUNKS[0] as Buffer);
    await one.waitFor((m) => m.state === 'live');
    // A change on two after one's: anything about one sent on two's socket would have come before it.
    const other = await startSession(t.baseUrl, 'two', t.streamKey);
    assert.ok(other.session);
    await postChunk(t.baseUrl, 'two', other.session.sessionId, 0, CHUNKS[0] as Buffer);
    const twoLive = await two.waitFor((m) => m.state === 'live');
    const before = two.messages.slice(0, two.messages.indexOf(twoLive));
    assert.ok(before.length > 0 && before.every((m) => m.mount === 'two' && m.state === 'offline'));
    assert.ok(one.messages.every((m) => m.mount === 'one'));
    await endSession(t.baseUrl, 'two', other.session.sessionId);
    await endSession(t.baseUrl, 'one', session.sessionId);
    one.close();
    two.close();
  });

  it('refuses an upgrade for an invalid mount with 400', async () => {
    const ws = new WebSocket(`${t.wsUrl}NOT..valid`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    assert.equal(status, 400);
  });

  it('closes a peer that stops answering pings', async () => {
    const port = Number(new URL(t.baseUrl).port);
    const sock = net.connect(port, '127.0.0.1');
    sock.write(
      'GET /ws?mount=live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let text = '';
    sock.on('data', (b) => {
      text += b.toString('latin1');
    });
    const t0 = Date.now();
    await new Promise<void>((resolve) => sock.on('close', () => resolve()));
    assert.match(text, /^HTTP\/1\.1 101/);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 300 && elapsed < 3_000, `closed after ${elapsed} ms`);
  });

  it("tells watchers and /status-json.xsl the source's delivery interval: about a second for ffmpeg's default Ogg pages", async () => {
    const status = await watchStatus(`${t.wsUrl}bursty`);
    const src = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${new URL(t.baseUrl).port}/bursty`,
      format: 'ogg',
      seconds: 10,
      muxer: 'default',
    });
    try {
      const live = await status.waitFor((m) => m.state === 'live', 5_000);
      assert.equal(live.sourceIntervalMs, undefined, 'not known at the first page');
      // Known after two gaps between pages (MIN_GAPS), so within about 3 s of going live.
      const known = await status.waitFor((m) => m.sourceIntervalMs !== undefined, 5_000);
      assert.ok(
        known.sourceIntervalMs !== undefined &&
          known.sourceIntervalMs >= 800 &&
          known.sourceIntervalMs <= 1_200,
        `interval ${known.sourceIntervalMs} ms`,
      );
      // The station's operator sees it too, with what to do about it.
      type Source = { listenurl?: string; source_interval_ms?: number; source_note?: string };
      const json = (await (await fetch(`${t.baseUrl}/status-json.xsl`)).json()) as {
        icestats: { source?: Source | Source[] };
      };
      const sources = ([] as Source[]).concat(json.icestats.source ?? []);
      const source = sources.find((x) => x.listenurl?.endsWith('/bursty')) ?? {};
      assert.ok(
        source.source_interval_ms !== undefined && source.source_interval_ms >= 800,
        JSON.stringify(source),
      );
      assert.match(source.source_note ?? '', /bursts about 1\.\d s apart.*low-delay source settings/);
    } finally {
      src.stop();
      await src.exited;
      status.close();
    }
  });
});
