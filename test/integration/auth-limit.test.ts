import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../src/shared/protocol.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { watchStatus } from '../helpers/clients.js';

/** POSTs a session request from `localAddress` (anything in 127.0.0.0/8 is this machine). */
function postSession(
  t: TestServer,
  key: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${t.baseUrl}${paths.ingestSession('live')}`, {
      method: 'POST',
      localAddress,
      headers: { authorization: `Bearer ${key}` },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('failed-key throttle', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ authMaxFailures: 5, authFailureWindowMs: 60_000 });
  });
  after(() => t.close());

  it('answers 429 after repeated wrong keys from one address, even with the right key, and only there', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await postSession(t, `guess-${i}-wrong`)).status, 401);
    const refused = await postSession(t, t.streamKey);
    assert.equal(refused.status, 429);
    assert.equal(refused.retryAfter, '60');
    assert.match(refused.body, /AUTH_RATE_LIMITED/);
    // An Icecast source client from the same address is refused too.
    const text = await new Promise<string>((resolve) => {
      const s = net.connect(t.server.httpPort, '127.0.0.1');
      let out = '';
      s.on('data', (b) => {
        out += b.toString('latin1');
      });
      s.on('close', () => resolve(out));
      s.write(
        `PUT /live HTTP/1.1\r\nContent-Type: audio/webm\r\nAuthorization: Basic ${Buffer.from(`source:${t.streamKey}`).toString('base64')}\r\n\r\n`,
      );
    });
    assert.match(text, /^HTTP\/1\.0 429 /);
    assert.match(text, /Retry-After: \d+/);
    // Another address is not affected.
    const other = await postSession(t, t.streamKey, '127.0.0.2');
    assert.equal(other.status, 201);
    assert.ok(!JSON.stringify(t.logs).includes('guess-0-wrong'));
  });
});

describe('failed-key throttle and sources that authenticate only when challenged', () => {
  let t: TestServer;
  before(async () => {
    // The default limits: 10 wrong keys within 60 s.
    t = await startTestServer();
  });
  after(() => t.close());

  it('never throttles ffmpeg -method PUT over http:// reconnecting 20 times within 60 s', async () => {
    const status = await watchStatus(`${t.wsUrl}flaky`);
    const started = Date.now();
    try {
      for (let run = 1; run <= 20; run++) {
        const src = startFfmpegSource({
          url: `http://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/flaky`,
          format: 'ogg',
          seconds: 0.3,
        });
        const timer = setTimeout(() => src.stop(), 15_000);
        const code = await src.exited;
        clearTimeout(timer);
        assert.equal(code, 0, `run ${run}: ffmpeg failed: ${src.stderr()}`);
        // Each run went live and off again (one OFFLINE on connect, then one per run).
        await status.waitFor(
          () => status.messages.filter((m) => m.state === 'offline').length >= run + 1,
          5_000,
        );
      }
    } finally {
      status.close();
    }
    assert.ok(Date.now() - started < 60_000, 'the 20 runs fit in the limiter window');
    assert.equal(status.messages.filter((m) => m.state === 'live').length, 20);
    // ffmpeg really did ask without credentials first each time, and none of it counted.
    const challenged = t.logs.filter((l) => l.msg === 'no credentials: challenged').length;
    assert.ok(challenged >= 20, `challenged ${challenged} times`);
    assert.equal(t.logs.filter((l) => l.msg === 'source rejected: bad credentials').length, 0);
  });

  it('still throttles wrong keys from the same kind of client', async () => {
    for (let i = 0; i < 10; i++) {
      const src = startFfmpegSource({
        url: `http://source:wrong-${i}@127.0.0.1:${t.server.httpPort}/flaky`,
        format: 'ogg',
        seconds: 0.3,
      });
      const timer = setTimeout(() => src.stop(), 15_000);
      assert.notEqual(await src.exited, 0);
      clearTimeout(timer);
    }
    assert.equal((await postSession(t, t.streamKey)).status, 429);
  });
});
