import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { endSession, listen, loadFixture, postChunk, startSession } from '../helpers/clients.js';
import { basic, jsonBodyOf, rawExchange, statusOf } from '../helpers/hostile.js';

const { chunks: CHUNKS } = loadFixture();

describe('mount limit', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxMounts: 2 });
  });
  after(() => t.close());

  it('refuses a broadcast beyond maxMounts with 503 MOUNT_LIMIT, from a browser and from an Icecast source', async () => {
    const a = await startSession(t.baseUrl, 'one', t.streamKey);
    const b = await startSession(t.baseUrl, 'two', t.streamKey);
    assert.ok(a.session && b.session);
    for (const [mount, s] of [
      ['one', a.session],
      ['two', b.session],
    ] as const) {
      for (let i = 0; i < 3; i++)
        assert.equal((await postChunk(t.baseUrl, mount, s.sessionId, i, CHUNKS[i] as Buffer)).status, 200);
    }
    const listener = listen(`${t.baseUrl}/one.webm`);
    assert.equal(await listener.status, 200);

    const third = await startSession(t.baseUrl, 'three', t.streamKey);
    assert.equal(third.status, 503);
    const err = (third.body as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'MOUNT_LIMIT');
    assert.match(err.message, /2 live broadcasts/);

    const put = await rawExchange(t.server.httpPort, [
      `PUT /three HTTP/1.1\r\nHost: x\r\nContent-Type: audio/webm\r\nAuthorization: ${basic('source', t.streamKey)}\r\n\r\n`,
    ]);
    assert.equal(statusOf(put.text), 503, put.text);
    assert.match(put.text, /^HTTP\/1\.0 503 Service Unavailable\r\n/);
    assert.equal(jsonBodyOf(put.text)?.error?.code, 'MOUNT_LIMIT');
    assert.ok(put.closed);

    // A busy mount is still "busy" (409), not "full": the host learns the right thing.
    assert.equal((await startSession(t.baseUrl, 'one', t.streamKey)).status, 409);
    // The two live broadcasts are unharmed.
    assert.equal(
      (await postChunk(t.baseUrl, 'one', a.session.sessionId, 3, CHUNKS[3] as Buffer)).status,
      200,
    );
    await listener.waitForBytes(1, 2_000);
    assert.ok(t.logs.some((l) => l.msg === 'ingest refused: mount limit' && l.mount === 'three'));

    // One ends: there is room again.
    assert.equal(await endSession(t.baseUrl, 'two', b.session.sessionId), 200);
    const again = await startSession(t.baseUrl, 'three', t.streamKey);
    assert.equal(again.status, 201);
    assert.ok(again.session);
    await endSession(t.baseUrl, 'three', again.session.sessionId);
    await endSession(t.baseUrl, 'one', a.session.sessionId);
    await listener.done;
  });
});
