import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { endSession, listen, loadFixture, postChunk, startSession } from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

async function goLive(t: TestServer, mount: string): Promise<string> {
  const { session } = await startSession(t.baseUrl, mount, t.streamKey);
  assert.ok(session);
  await postChunk(t.baseUrl, mount, session.sessionId, 0, CHUNKS[0] as Buffer);
  return session.sessionId;
}

describe('listener limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxListenersPerMount: 2, maxListeners: 3 });
  });
  after(() => t.close());

  it('answers 503 LISTEN_FULL past the per-mount and the total limit, and admits again after a leave', async () => {
    const a = await goLive(t, 'alpha');
    const b = await goLive(t, 'beta');
    const first = listen(`${t.baseUrl}/alpha.webm`);
    const second = listen(`${t.baseUrl}/alpha.ogg`);
    assert.equal(await first.status, 200);
    assert.equal(await second.status, 200);

    // The mount is full (2), across its containers.
    const third = await fetch(`${t.baseUrl}/alpha.webm`);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '30');
    const body = (await third.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'LISTEN_FULL');
    assert.match(body.error.message, /alpha/);

    // The server is full (3) once beta has one.
    const beta = listen(`${t.baseUrl}/beta.webm`);
    assert.equal(await beta.status, 200);
    const over = await fetch(`${t.baseUrl}/beta.webm`);
    assert.equal(over.status, 503);
    assert.match(((await over.json()) as { error: { message: string } }).error.message, /server is full/);

    // The same limits hold over HTTPS/HTTP2 (the express path).
    const client = http2.connect(t.httpsUrl, { rejectUnauthorized: false });
    try {
      const status = await new Promise<number>((resolve) => {
        const s = client.request({ ':path': '/beta.webm' });
        s.on('response', (h) => {
          resolve(Number(h[':status']));
          s.close();
        });
      });
      assert.equal(status, 503);
    } finally {
      client.close();
    }

    // A listener leaves: there is room again, and the others never noticed.
    first.stop();
    await waitUntil('the listener gone', 5_000, () => t.server.hub.snapshot('alpha').listeners === 1);
    const again = listen(`${t.baseUrl}/alpha.webm`);
    assert.equal(await again.status, 200);
    const before2 = second.received().length;
    await postChunk(t.baseUrl, 'alpha', a, 1, CHUNKS[1] as Buffer);
    await second.waitForBytes(before2 + 1);
    await endSession(t.baseUrl, 'alpha', a);
    await endSession(t.baseUrl, 'beta', b);
    await Promise.all([second.done, beta.done, again.done]);
  });
});
