import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { paths, SESSION_HEADER } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { endSession, listen, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 5, 'the message says something');
  return body.error;
}

describe('ingest errors', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxChunkBytes: 64 * 1024 });
  });
  after(() => t.close());

  it('answers 401 AUTH_BAD_KEY to a wrong or missing stream key and never logs the key', async () => {
    for (const authorization of [
      'Bearer wrong-key-123',
      `Basic ${Buffer.from('source:nope').toString('base64')}`,
      '',
    ]) {
      const res = await fetch(`${t.baseUrl}${paths.ingestSession('live')}`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
      });
      assert.equal(res.status, 401);
      assert.equal((await errorOf(res)).code, 'AUTH_BAD_KEY');
    }
    const text = JSON.stringify(t.logs);
    assert.ok(!text.includes('wrong-key-123'));
    assert.ok(!text.includes(t.streamKey));
    assert.ok(t.logs.some((l) => l.msg === 'ingest rejected: wrong stream key'));
  });

  it('accepts the key as a Basic password (as Icecast source clients send it)', async () => {
    const res = await fetch(`${t.baseUrl}${paths.ingestSession('basic')}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`source:${t.streamKey}`).toString('base64')}` },
    });
    assert.equal(res.status, 201);
    const { sessionId } = (await res.json()) as { sessionId: string };
    assert.equal(await endSession(t.baseUrl, 'basic', sessionId), 200);
  });

  it('answers 401 AUTH_BAD_SESSION to uploads without a valid session', async () => {
    const r = await postChunk(t.baseUrl, 'live', 'not-a-session', 0, CHUNKS[0] as Buffer);
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'AUTH_BAD_SESSION');
    const s = await fetch(`${t.baseUrl}${paths.ingestStream('live')}`, {
      method: 'POST',
      headers: { 'content-type': 'audio/webm' },
      body: CHUNKS[0] as Buffer,
    });
    assert.equal(s.status, 401);
    assert.equal((await errorOf(s)).code, 'AUTH_BAD_SESSION');
  });

  it('answers 404 LISTEN_OFFLINE to a listener while nobody broadcasts', async () => {
    for (const path of ['/live.webm', '/live', '/never-used.webm']) {
      const res = await fetch(`${t.baseUrl}${path}`);
      assert.equal(res.status, 404, path);
      const err = await errorOf(res);
      assert.equal(err.code, 'LISTEN_OFFLINE');
      assert.match(err.message, /offline/);
    }
  });

  it('answers 409 MOUNT_IN_USE to a second broadcaster and keeps the first one on air', async () => {
    const first = await startSession(t.baseUrl, 'busy', t.streamKey);
    assert.ok(first.session);
    await postChunk(t.baseUrl, 'busy', first.session.sessionId, 0, CHUNKS[0] as Buffer);
    const listener = listen(`${t.baseUrl}/busy.webm`);
    assert.equal(await listener.status, 200);
    const second = await startSession(t.baseUrl, 'busy', t.streamKey);
    assert.equal(second.status, 409);
    assert.equal((second.body as { error: { code: string } }).error.code, 'MOUNT_IN_USE');
    // The first broadcaster goes on and its listener still gets bytes.
    const before = listener.received().length;
    const r = await postChunk(t.baseUrl, 'busy', first.session.sessionId, 1, CHUNKS[1] as Buffer);
    assert.equal(r.status, 200);
    await listener.waitForBytes(before + (CHUNKS[1] as Buffer).length);
    // Another mount is not busy.
    const other = await startSession(t.baseUrl, 'other', t.streamKey);
    assert.equal(other.status, 201);
    await endSession(t.baseUrl, 'other', other.session?.sessionId ?? '');
    await endSession(t.baseUrl, 'busy', first.session.sessionId);
    await listener.done;
  });

  it('answers 415 INGEST_UNSUPPORTED_TYPE and names the accepted type', async () => {
    const { session } = await startSession(t.baseUrl, 'types', t.streamKey);
    assert.ok(session);
    for (const type of ['audio/mpeg', 'application/octet-stream', 'text/plain']) {
      const r = await postChunk(t.baseUrl, 'types', session.sessionId, 0, CHUNKS[0] as Buffer, type);
      assert.equal(r.status, 415, type);
      assert.equal(r.body.error?.code, 'INGEST_UNSUPPORTED_TYPE');
      assert.match(r.body.error?.message ?? '', /audio\/webm/);
    }
    // Nothing was taken: chunk 0 is still expected.
    assert.equal(
      (await postChunk(t.baseUrl, 'types', session.sessionId, 0, CHUNKS[0] as Buffer)).body.ack,
      0,
    );
    await endSession(t.baseUrl, 'types', session.sessionId);
  });

  it('answers 413 INGEST_CHUNK_TOO_LARGE to an oversized chunk', async () => {
    const { session } = await startSession(t.baseUrl, 'big', t.streamKey);
    assert.ok(session);
    const r = await postChunk(t.baseUrl, 'big', session.sessionId, 0, Buffer.alloc(64 * 1024 + 1));
    assert.equal(r.status, 413);
    assert.equal(r.body.error?.code, 'INGEST_CHUNK_TOO_LARGE');
    await endSession(t.baseUrl, 'big', session.sessionId);
  });

  it('answers 400 to a bad sequence header and 400 to a bad mount name', async () => {
    const { session } = await startSession(t.baseUrl, 'seq', t.streamKey);
    assert.ok(session);
    const res = await fetch(`${t.baseUrl}${paths.ingestChunk('seq')}`, {
      method: 'POST',
      headers: { 'content-type': 'audio/webm', [SESSION_HEADER]: session.sessionId, 'x-onair-seq': 'abc' },
      body: CHUNKS[0] as Buffer,
    });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'INGEST_BAD_SEQUENCE');
    await endSession(t.baseUrl, 'seq', session.sessionId);
    for (const mount of ['Bad', 'api', 'a'.repeat(65)]) {
      const r = await startSession(t.baseUrl, mount, t.streamKey);
      assert.equal(r.status, 400, mount);
      assert.equal((r.body as { error: { code: string } }).error.code, 'MOUNT_INVALID');
    }
  });

  it('answers 422 WEBM_CORRUPT to garbage, ends only that broadcast, and keeps others playing', async () => {
    const good = await startSession(t.baseUrl, 'good', t.streamKey);
    assert.ok(good.session);
    await postChunk(t.baseUrl, 'good', good.session.sessionId, 0, CHUNKS[0] as Buffer);
    const listener = listen(`${t.baseUrl}/good.webm`);
    assert.equal(await listener.status, 200);

    const status = await watchStatus(`${t.wsUrl}bad`);
    const bad = await startSession(t.baseUrl, 'bad', t.streamKey);
    assert.ok(bad.session);
    const garbage = Buffer.from('this is not a webm file at all, just some text bytes');
    const r = await postChunk(t.baseUrl, 'bad', bad.session.sessionId, 0, garbage);
    assert.equal(r.status, 422);
    assert.equal(r.body.error?.code, 'WEBM_CORRUPT');
    // That session is over; its mount is free for a fresh start.
    const again = await postChunk(t.baseUrl, 'bad', bad.session.sessionId, 1, CHUNKS[1] as Buffer);
    assert.equal(again.status, 401);
    assert.equal((await startSession(t.baseUrl, 'bad', t.streamKey)).status, 201);
    assert.ok(status.messages.every((m) => m.state === 'offline'));
    status.close();

    const before = listener.received().length;
    assert.equal(
      (await postChunk(t.baseUrl, 'good', good.session.sessionId, 1, CHUNKS[1] as Buffer)).status,
      200,
    );
    await listener.waitForBytes(before + (CHUNKS[1] as Buffer).length);
    await endSession(t.baseUrl, 'good', good.session.sessionId);
    await listener.done;
  });

  it('answers 413 WEBM_INIT_TOO_LARGE when no Cluster comes within the init cap', async () => {
    const small = await startTestServer({ maxInitBytes: 4096 });
    try {
      const { session } = await startSession(small.baseUrl, 'live', small.streamKey);
      assert.ok(session);
      // A valid EBML header and unknown-size Segment, then a 10 KB Void element: no Cluster in sight.
      const head = Buffer.from('1a45dfa3' + '84' + '4286' + '8101' + '18538067' + '01ffffffffffffff', 'hex');
      const voidEl = Buffer.concat([Buffer.from('ec6710', 'hex'), Buffer.alloc(0x2710)]); // Void, size 10000
      const r = await postChunk(small.baseUrl, 'live', session.sessionId, 0, Buffer.concat([head, voidEl]));
      assert.equal(r.status, 413);
      assert.equal(r.body.error?.code, 'WEBM_INIT_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});
