import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { paths, SESSION_HEADER } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { withTimeout } from '../../tools/wait.js';
import {
  CLUSTER_ID,
  endSession,
  listen,
  loadFixture,
  postChunk,
  startSession,
  watchStatus,
} from '../helpers/clients.js';

const { bytes: FIXTURE, chunks: CHUNKS } = loadFixture();
const INIT_END = FIXTURE.indexOf(CLUSTER_ID);

describe('ingest (per-chunk transport)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('relays every uploaded byte to a listener that joined before the first Cluster', async () => {
    const status = await watchStatus(`${t.wsUrl}live`);
    const { session } = await startSession(t.baseUrl, 'live', t.streamKey);
    assert.ok(session);
    assert.equal(session.nextSeq, 0);
    // First chunk holds the init segment and the first Cluster start: the mount goes live.
    const first = CHUNKS[0];
    assert.ok(first);
    assert.deepEqual((await postChunk(t.baseUrl, 'live', session.sessionId, 0, first)).body, {
      ack: 0,
      duplicate: false,
      bytesIn: first.length,
    });
    await status.waitFor((m) => m.state === 'live');
    const early = listen(`${t.baseUrl}/live.webm`);
    assert.equal(await early.status, 200);
    const headers = await early.headers;
    assert.equal(headers['content-type'], 'audio/webm');
    assert.match(String(headers['cache-control']), /no-cache/);
    assert.equal(headers['content-length'], undefined);
    for (let i = 1; i < CHUNKS.length; i++) {
      const r = await postChunk(t.baseUrl, 'live', session.sessionId, i, CHUNKS[i] as Buffer);
      assert.equal(r.status, 200);
      assert.equal(r.body.ack, i);
    }
    await early.waitForBytes(FIXTURE.length);
    assert.equal(await endSession(t.baseUrl, 'live', session.sessionId), 200);
    const got = await early.done;
    // It joined right after the first chunk: init, then the first Cluster from its start, then everything.
    assert.deepEqual(got, FIXTURE);
    await status.waitFor((m) => m.state === 'offline' && status.messages.some((x) => x.state === 'live'));
    status.close();
  });

  it('starts a late joiner at the newest Cluster start, after the init segment', async () => {
    const { session } = await startSession(t.baseUrl, 'late', t.streamKey);
    assert.ok(session);
    const half = Math.floor(CHUNKS.length / 2);
    for (let i = 0; i < half; i++)
      await postChunk(t.baseUrl, 'late', session.sessionId, i, CHUNKS[i] as Buffer);
    const late = listen(`${t.baseUrl}/late`);
    assert.equal(await late.status, 200);
    const got = await late.waitForBytes(INIT_END + 4);
    assert.deepEqual(got.subarray(0, INIT_END), FIXTURE.subarray(0, INIT_END));
    assert.deepEqual(got.subarray(INIT_END, INIT_END + 4), CLUSTER_ID, 'media starts at a Cluster');
    // The burst it got is the tail of what was sent: it starts at the newest Cluster, not older.
    let sent = 0;
    for (let i = 0; i < half; i++) sent += (CHUNKS[i] as Buffer).length;
    const burst = got.subarray(INIT_END);
    const startInFixture = sent - burst.length;
    assert.deepEqual(FIXTURE.subarray(startInFixture, sent), burst);
    assert.equal(
      FIXTURE.subarray(startInFixture + 4, sent).indexOf(CLUSTER_ID),
      -1,
      'no newer Cluster skipped',
    );
    await endSession(t.baseUrl, 'late', session.sessionId);
    await late.done;
  });

  it('accepts a retried chunk once and answers a gap with the expected sequence', async () => {
    const { session } = await startSession(t.baseUrl, 'retry', t.streamKey);
    assert.ok(session);
    const [c0, c1, c2] = CHUNKS as [Buffer, Buffer, Buffer];
    assert.deepEqual((await postChunk(t.baseUrl, 'retry', session.sessionId, 0, c0)).body, {
      ack: 0,
      duplicate: false,
      bytesIn: c0.length,
    });
    const listener = listen(`${t.baseUrl}/retry.webm`);
    await listener.status;
    assert.deepEqual((await postChunk(t.baseUrl, 'retry', session.sessionId, 0, c0)).body, {
      ack: 0,
      duplicate: true,
      bytesIn: c0.length,
    });
    const gap = await postChunk(t.baseUrl, 'retry', session.sessionId, 2, c2);
    assert.equal(gap.status, 409);
    assert.equal(gap.body.error?.code, 'INGEST_SEQUENCE_GAP');
    assert.equal(gap.body.error?.expectedSeq, 1);
    assert.equal((await postChunk(t.baseUrl, 'retry', session.sessionId, 1, c1)).status, 200);
    assert.equal((await postChunk(t.baseUrl, 'retry', session.sessionId, 2, c2)).status, 200);
    await endSession(t.baseUrl, 'retry', session.sessionId);
    const got = await listener.done;
    assert.deepEqual(got, Buffer.concat([c0, c1, c2]), 'the retried chunk was not relayed twice');
  });

  it('ends the broadcast when the broadcaster goes silent', async () => {
    const quick = await startTestServer({ ingestIdleTimeoutMs: 500 });
    try {
      const status = await watchStatus(`${quick.wsUrl}live`);
      const { session } = await startSession(quick.baseUrl, 'live', quick.streamKey);
      assert.ok(session);
      await postChunk(quick.baseUrl, 'live', session.sessionId, 0, CHUNKS[0] as Buffer);
      await status.waitFor((m) => m.state === 'live');
      const t0 = Date.now();
      await status.waitFor((m) => m.state === 'offline' && Date.now() - t0 > 100, 3_000);
      assert.ok(Date.now() - t0 < 2_000);
      // The mount is free again.
      assert.equal((await startSession(quick.baseUrl, 'live', quick.streamKey)).status, 201);
      status.close();
    } finally {
      await quick.close();
    }
  });
});

describe('ingest (streaming transport)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('resumes a broken streaming upload with per-chunk POSTs by byte offset, each byte once', async () => {
    const { session } = await startSession(t.baseUrl, 'resume', t.streamKey);
    assert.ok(session);
    const status = await watchStatus(`${t.wsUrl}resume`);
    const req = http.request(`${t.baseUrl}${paths.ingestStream('resume')}`, {
      method: 'POST',
      headers: { 'content-type': 'audio/webm', [SESSION_HEADER]: session.sessionId },
    });
    req.on('error', () => {});
    const [c0, c1, c2, c3] = CHUNKS as [Buffer, Buffer, Buffer, Buffer];
    req.write(c0);
    await status.waitFor((m) => m.state === 'live');
    const listener = listen(`${t.baseUrl}/resume.webm`);
    assert.equal(await listener.status, 200);
    // The connection breaks with chunk 1 half sent.
    const cut = Math.floor(c1.length / 2);
    req.write(c1.subarray(0, cut));
    await status.waitFor((m) => m.bytesIn === c0.length + cut);
    const atBreak = status.messages.length;
    req.destroy();
    await new Promise((r) => req.once('close', r));
    // The page resends every chunk it kept (0 and 1) by offset, then goes on: no byte is taken twice.
    const again = await postChunk(t.baseUrl, 'resume', session.sessionId, 0, c0, 'audio/webm', 0);
    assert.deepEqual(again.body, { ack: 0, duplicate: true, bytesIn: c0.length + cut });
    const rest = await postChunk(t.baseUrl, 'resume', session.sessionId, 1, c1, 'audio/webm', c0.length);
    assert.deepEqual(rest.body, { ack: 1, duplicate: false, bytesIn: c0.length + c1.length });
    assert.ok(
      status.messages.slice(atBreak).every((m) => m.state === 'live'),
      'no OFFLINE after the break',
    );
    // Bytes from beyond what the server holds: a gap, with the offset it wants.
    const ahead = c0.length + c1.length + c2.length;
    const gap = await postChunk(t.baseUrl, 'resume', session.sessionId, 3, c3, 'audio/webm', ahead);
    assert.equal(gap.status, 409);
    assert.equal(gap.body.error?.code, 'INGEST_SEQUENCE_GAP');
    assert.equal(gap.body.error?.expectedOffset, c0.length + c1.length);
    let offset = c0.length + c1.length;
    for (let i = 2; i < CHUNKS.length; i++) {
      const c = CHUNKS[i] as Buffer;
      assert.equal(
        (await postChunk(t.baseUrl, 'resume', session.sessionId, i, c, 'audio/webm', offset)).status,
        200,
      );
      offset += c.length;
    }
    const seen = status.messages.length;
    assert.equal(await endSession(t.baseUrl, 'resume', session.sessionId), 200);
    assert.deepEqual(await listener.done, FIXTURE, 'the listener got the broadcast byte for byte');
    await status.waitFor((m) => m.state === 'offline' && status.messages.indexOf(m) >= seen);
    const states = status.messages.map((m) => m.state);
    const fromLive = states.slice(states.indexOf('live'));
    assert.ok(
      fromLive.slice(fromLive.indexOf('offline')).every((s) => s === 'offline'),
      `LIVE throughout the break, OFFLINE only at the end: ${fromLive.join(' ')}`,
    );
    status.close();
  });

  it('relays a streaming HTTP/1.1 upload split at the recorder chunk boundaries', async () => {
    const { session } = await startSession(t.baseUrl, 'live', t.streamKey);
    assert.ok(session);
    const status = await watchStatus(`${t.wsUrl}live`);
    const req = http.request(`${t.baseUrl}${paths.ingestStream('live')}`, {
      method: 'POST',
      headers: { 'content-type': 'audio/webm', [SESSION_HEADER]: session.sessionId },
    });
    req.write(CHUNKS[0]);
    await status.waitFor((m) => m.state === 'live');
    const listener = listen(`${t.baseUrl}/live.webm`);
    assert.equal(await listener.status, 200);
    for (const c of CHUNKS.slice(1)) req.write(c);
    await listener.waitForBytes(FIXTURE.length);
    const response = new Promise<number>((resolve) =>
      req.on('response', (res) => resolve(res.statusCode ?? 0)),
    );
    req.end();
    assert.equal(await response, 200);
    assert.equal(await endSession(t.baseUrl, 'live', session.sessionId), 200);
    assert.deepEqual(await listener.done, FIXTURE);
    await status.waitFor((m) => m.state === 'offline' && status.messages.some((x) => x.state === 'live'));
    status.close();
  });

  it('relays a streaming HTTP/2 upload over TLS', async () => {
    const { session } = await startSession(t.baseUrl, 'h2', t.streamKey);
    assert.ok(session);
    const client = http2.connect(t.httpsUrl, { rejectUnauthorized: false });
    try {
      const stream = client.request({
        ':method': 'POST',
        ':path': paths.ingestStream('h2'),
        'content-type': 'audio/webm',
        [SESSION_HEADER]: session.sessionId,
      });
      const responded = new Promise<number>((resolve) =>
        stream.on('response', (h) => resolve(Number(h[':status']))),
      );
      stream.write(CHUNKS[0]);
      const status = await watchStatus(`${t.wsUrl}h2`);
      await status.waitFor((m) => m.state === 'live');
      // This listener also uses HTTP/2.
      const listenStream = client.request({ ':path': '/h2.webm' });
      const heard: Buffer[] = [];
      const firstBytes = new Promise<void>((resolve) => listenStream.once('data', () => resolve()));
      listenStream.on('data', (b: Buffer) => heard.push(b));
      const listenEnded = new Promise<void>((resolve) => listenStream.on('close', () => resolve()));
      // The listener is in once its first bytes (the init segment) arrive.
      await withTimeout(firstBytes, 5_000, "the HTTP/2 listener's first bytes");
      for (const c of CHUNKS.slice(1)) stream.write(c);
      stream.end();
      assert.equal(await responded, 200);
      await endSession(t.baseUrl, 'h2', session.sessionId);
      await listenEnded;
      const got = Buffer.concat(heard);
      assert.deepEqual(got.subarray(0, INIT_END), FIXTURE.subarray(0, INIT_END));
      assert.deepEqual(got.subarray(INIT_END, INIT_END + 4), CLUSTER_ID);
      assert.deepEqual(got.subarray(got.length - 1000), FIXTURE.subarray(FIXTURE.length - 1000));
      status.close();
    } finally {
      client.close();
    }
  });
});
