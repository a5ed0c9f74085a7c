/**
 * The HLS output end to end: a real ffmpeg source, the playlist and media over real HTTP, real ffmpeg
 * as a plain HLS client (default settings) hearing 440 Hz, blocking reloads and hinted parts answered
 * when the part appears, the refusals (400, 503 on a hold timeout or a full server), ENDLIST at the
 * end and a new media sequence for the next broadcast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HLS } from '../../src/shared/protocol.js';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import { hlsAttr, hlsHint, hlsParts, hlsPosition, hlsSegments, hlsTags } from '../../tools/hls.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { endSession, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

async function get(url: string, timeoutMs = 10_000): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
}

async function playlist(url: string): Promise<string> {
  const res = await get(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return res.text();
}

/** Waits (polling the playlist, each poll a blocking reload) until `ok(text)`; fails after `timeoutMs`. */
async function playlistUntil(
  url: string,
  ok: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await playlist(url);
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`playlist never got there:\n${text}`);
    const hint = hlsHint(text);
    const at = hint ? hlsPosition(hint) : null;
    if (at) await get(`${url}?_HLS_msn=${at.msn}&_HLS_part=${at.part ?? 0}`).then((r) => r.arrayBuffer());
  }
}

/** Resolves once `ok()` holds (checked every 20 ms); rejects after `timeoutMs`. */
async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('HLS output', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ ingestIdleTimeoutMs: 20_000 });
  });
  after(() => t.close());

  it('serves an ffmpeg broadcast as Low-Latency HLS that ffmpeg plays at 440 Hz, ENDLIST at its end', async () => {
    const mount = 'hls-ff';
    const url = `${t.baseUrl}/${mount}.m3u8`;
    const offline = await get(url);
    await assertErrorResponse(offline, 'LISTEN_OFFLINE');
    const status = await watchStatus(`${t.wsUrl}${mount}`);
    const src = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/${mount}`,
      format: 'ogg',
      seconds: 30,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      // The first plain request waits until the playlist holds HOLD-BACK (three target durations) of
      // segments: a player must start that far from the end, and a shorter playlist leaves it nowhere
      // to start (Chromium's own HLS player then fails the element).
      const first = await get(url);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-type'), HLS.playlistContentType);
      assert.equal(first.headers.get('cache-control'), 'public, max-age=1');
      assert.equal(first.headers.get('access-control-allow-origin'), '*');
      const text = await first.text();
      assert.match(text, /^#EXTM3U\n/);
      assert.equal(hlsAttr(hlsTags(text, 'EXT-X-SERVER-CONTROL')[0] ?? '', 'CAN-BLOCK-RELOAD'), 'YES');
      assert.ok(hlsParts(text).length >= 1);
      const holdBack = Number(hlsAttr(hlsTags(text, 'EXT-X-SERVER-CONTROL')[0] ?? '', 'HOLD-BACK'));
      const listed = hlsTags(text, 'EXTINF').reduce((sum, v) => sum + Number.parseFloat(v), 0);
      assert.ok(listed >= holdBack - 0.2, `${listed} s of segments listed, HOLD-BACK ${holdBack} s`);

      // Init segment and a part: immutable, audio/mp4, an ftyp and a moof.
      const map = hlsAttr(hlsTags(text, 'EXT-X-MAP')[0] ?? '', 'URI') ?? '';
      const init = await get(`${t.baseUrl}/${map}`);
      assert.equal(init.status, 200);
      assert.equal(init.headers.get('content-type'), HLS.mediaContentType);
      assert.match(init.headers.get('cache-control') ?? '', /public, max-age=\d+, immutable/);
      assert.equal(Buffer.from(await init.arrayBuffer()).toString('latin1', 4, 8), 'ftyp');
      const part = await get(`${t.baseUrl}/${hlsParts(text)[0]}`);
      assert.equal(part.status, 200);
      assert.match(part.headers.get('cache-control') ?? '', /immutable/);
      assert.equal(Buffer.from(await part.arrayBuffer()).toString('latin1', 4, 8), 'moof');

      // A blocking reload for the hinted part comes back when that part is there, and it is listed.
      const hint = hlsHint(text) ?? '';
      const next = hlsPosition(hint);
      const blocked = await get(`${url}?_HLS_msn=${next.msn}&_HLS_part=${next.part}`);
      assert.equal(blocked.status, 200);
      assert.match(blocked.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
      const after = await blocked.text();
      assert.ok(hlsParts(after).includes(hint), `the blocking answer lists ${hint}:\n${after}`);
      // The hinted part itself, asked for before it exists, is held and answered once complete.
      const hint2 = hlsHint(after) ?? '';
      const held = await get(`${t.baseUrl}/${hint2}`);
      assert.equal(held.status, 200);
      assert.equal(Buffer.from(await held.arrayBuffer()).toString('latin1', 4, 8), 'moof');

      // Real ffmpeg, as a plain HLS client at its default settings, hears the tone.
      await playlistUntil(url, (x) => hlsTags(x, 'EXTINF').length >= 3);
      const { samples, code, stderr } = await decodeWithFfmpeg(url, 2, 30_000);
      assert.equal(code, 0, stderr);
      assert.ok(samples.length >= 1.9 * 48_000, `${samples.length} samples`);
      const { hz, rms } = dominantHz(samples);
      assert.ok(Math.abs(hz - 440) <= 6, `dominant ${hz} Hz`);
      assert.ok(rms > 0.05, `rms ${rms}`);

      // The playlist advances: segments past the first answer's live edge.
      const firstEdge = hlsPosition(hint);
      const later = await playlistUntil(
        url,
        (x) => hlsPosition(hlsSegments(x).at(-1) ?? '').msn > firstEdge.msn,
      );
      const edge = hlsPosition(hlsHint(later) ?? '');

      // A reload held when the broadcast ends is answered with the ended playlist.
      const waiting = get(`${url}?_HLS_msn=${edge.msn + 1}`);
      src.stop();
      await status.waitFor((m) => m.state === 'offline', 10_000);
      const ended = await waiting;
      assert.equal(ended.status, 200);
      const endText = await ended.text();
      assert.ok(endText.endsWith('#EXT-X-ENDLIST\n'), endText);
      assert.equal(hlsHint(endText), undefined);
      assert.ok((await playlist(url)).endsWith('#EXT-X-ENDLIST\n'));
    } finally {
      src.stop();
      status.close();
    }
  });

  it('refuses a reload too far ahead (400), one without its segment (400), and times a hold out (503)', async () => {
    const mount = 'hls-stall';
    const url = `${t.baseUrl}/${mount}.m3u8`;
    const { session } = await startSession(t.baseUrl, mount, t.streamKey);
    assert.ok(session);
    const { chunks } = loadFixture();
    // The fixture (3 s: HOLD-BACK's worth, so the plain playlist answers at once), then nothing: the
    // mount stays LIVE (idle timeout 20 s) while no part comes.
    for (let i = 0; i < chunks.length; i++) {
      const r = await postChunk(t.baseUrl, mount, session.sessionId, i, chunks[i] as Buffer);
      assert.equal(r.status, 200);
    }
    try {
      const text = await playlist(url);
      const edge = hlsPosition(hlsHint(text) ?? '');
      await assertErrorResponse(await get(`${url}?_HLS_msn=${edge.msn + 3}`), 'HLS_TOO_FAR');
      await assertErrorResponse(
        await get(`${url}?_HLS_msn=${edge.msn}&_HLS_part=${(edge.part ?? 0) + 20}`),
        'HLS_TOO_FAR',
      );
      await assertErrorResponse(await get(`${url}?_HLS_part=1`), 'BAD_REQUEST');
      await assertErrorResponse(await get(`${url}?_HLS_msn=x`), 'BAD_REQUEST');
      // The hinted part never comes: after three target durations (3 s) the hold ends in 503.
      const started = Date.now();
      const timedOut = await get(`${url}?_HLS_msn=${edge.msn}&_HLS_part=${edge.part}`);
      await assertErrorResponse(timedOut, 'HLS_HOLD_TIMEOUT');
      assert.ok(Date.now() - started >= 2_900, `held ${Date.now() - started} ms`);
      const part = await get(`${t.baseUrl}/${hlsHint(text)}`);
      await assertErrorResponse(part, 'HLS_HOLD_TIMEOUT');
      // A part of another broadcast, or long gone: 404.
      await assertErrorResponse(await get(`${t.baseUrl}/hls/${mount}/zzz/s0.0.m4s`), 'NOT_FOUND');
    } finally {
      await endSession(t.baseUrl, mount, session.sessionId);
    }
  });

  it('starts the next broadcast at a later media sequence under a new broadcast name', async () => {
    const mount = 'hls-again';
    const url = `${t.baseUrl}/${mount}.m3u8`;
    const { chunks } = loadFixture();
    const texts: string[] = [];
    for (let round = 0; round < 2; round++) {
      const { session } = await startSession(t.baseUrl, mount, t.streamKey);
      assert.ok(session);
      for (let i = 0; i < chunks.length; i++) {
        await postChunk(t.baseUrl, mount, session.sessionId, i, chunks[i] as Buffer);
      }
      texts.push(await playlist(url));
      await endSession(t.baseUrl, mount, session.sessionId);
      const ended = await playlistUntil(url, (x) => x.endsWith('#EXT-X-ENDLIST\n'));
      texts[round] = ended;
    }
    const [a = '', b = ''] = texts;
    const lastA = hlsPosition(hlsSegments(a).at(-1) ?? '');
    assert.ok(Number(hlsTags(b, 'EXT-X-MEDIA-SEQUENCE')[0]) > lastA.msn, `${a}\n---\n${b}`);
    const mapA = hlsAttr(hlsTags(a, 'EXT-X-MAP')[0] ?? '', 'URI');
    const mapB = hlsAttr(hlsTags(b, 'EXT-X-MAP')[0] ?? '', 'URI');
    assert.notEqual(mapA, mapB);
  });
});

describe('HLS output under its hold cap', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ hlsMaxHeldRequests: 1, ingestIdleTimeoutMs: 20_000 });
  });
  after(() => t.close());

  it('answers 503 HLS_BUSY when it holds as many requests as it may', async () => {
    const mount = 'hls-cap';
    const url = `${t.baseUrl}/${mount}.m3u8`;
    const { session } = await startSession(t.baseUrl, mount, t.streamKey);
    assert.ok(session);
    const { chunks } = loadFixture();
    // The whole fixture (3 s): the plain playlist is answered at once.
    for (let i = 0; i < chunks.length; i++) {
      await postChunk(t.baseUrl, mount, session.sessionId, i, chunks[i] as Buffer);
    }
    try {
      const edge = hlsPosition(hlsHint(await playlist(url)) ?? '');
      const first = get(`${url}?_HLS_msn=${edge.msn}&_HLS_part=${edge.part}`);
      // The first is held (it times out later); the second finds the server full.
      await until(() => t.server.hls.heldRequests === 1, 5_000);
      const second = await get(`${url}?_HLS_msn=${edge.msn}&_HLS_part=${edge.part}`);
      await assertErrorResponse(second, 'HLS_BUSY');
      assert.equal(second.headers.get('retry-after'), '1');
      await assertErrorResponse(await first, 'HLS_HOLD_TIMEOUT');
    } finally {
      await endSession(t.baseUrl, mount, session.sessionId);
    }
  });
});
