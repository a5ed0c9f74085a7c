/**
 * Operator endpoints: /healthz, /readyz and /metrics (Prometheus text, admin token), on a single
 * server and on two clustered nodes, including Redis going away and coming back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../tools/redis.js';
import type { TestServer } from '../../tools/server.js';
import { metricSample, startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { redisPairSuite } from '../../tools/suite.js';
import { waitUntil } from '../../tools/wait.js';
import { listen, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

const { chunks: CHUNKS } = loadFixture();
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function metrics(t: TestServer): Promise<string> {
  const res = await fetch(`${t.baseUrl}/metrics`, { headers: ADMIN, signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function readyz(t: TestServer): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const res = await fetch(`${t.baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

/** Starts a broadcast on `mount` with the fixture's chunks; returns the session id. */
async function broadcast(t: TestServer, mount: string): Promise<string> {
  const { session } = await startSession(t.baseUrl, mount, t.streamKey);
  assert.ok(session);
  let offset = 0;
  for (const [i, c] of CHUNKS.entries()) {
    assert.equal(
      (await postChunk(t.baseUrl, mount, session.sessionId, i, c, 'audio/webm', offset)).status,
      200,
    );
    offset += c.length;
  }
  return session.sessionId;
}

describe('operator endpoints, one server', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('answers /healthz and /readyz without credentials', async () => {
    const h = await fetch(`${t.baseUrl}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    assert.deepEqual(await readyz(t), { status: 200, body: { status: 'ready' } });
  });

  it('wants the admin token for /metrics', async () => {
    await assertErrorResponse(await fetch(`${t.baseUrl}/metrics`), 'AUTH_BAD_TOKEN');
    const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`;
    assert.equal((await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: basic } })).status, 200);
  });

  it('counts listeners, bytes in and out and upload retries per mount', async () => {
    const status = await watchStatus(`${t.wsUrl}met`);
    const id = await broadcast(t, 'met');
    await status.waitFor((m) => m.state === 'live');
    const listener = listen(`${t.baseUrl}/met.webm`);
    assert.equal(await listener.status, 200);
    await listener.waitForBytes(1);
    // The page resends the last chunk after a blip: the server takes it once and counts the retry.
    const last = CHUNKS.length - 1;
    const offset = CHUNKS.slice(0, last).reduce((n, c) => n + c.length, 0);
    const resent = await postChunk(t.baseUrl, 'met', id, last, CHUNKS[last] as Buffer, 'audio/webm', offset);
    assert.equal(resent.body.duplicate, true);

    const text = await metrics(t);
    const total = CHUNKS.reduce((n, c) => n + c.length, 0);
    assert.equal(metricSample(text, 'onair_mount_live{mount="met",role="ingest"}'), 1);
    assert.equal(metricSample(text, 'onair_listeners{mount="met"}'), 1);
    assert.equal(metricSample(text, 'onair_cluster_listeners{mount="met"}'), 1);
    assert.equal(metricSample(text, 'onair_ingest_bytes_total{mount="met"}'), total);
    assert.ok((metricSample(text, 'onair_listen_bytes_total{mount="met"}') ?? 0) > 0);
    assert.equal(metricSample(text, 'onair_listeners_dropped_total{mount="met"}'), 0);
    assert.equal(metricSample(text, 'onair_upload_retries_total{mount="met"}'), 1);
    assert.ok((metricSample(text, 'onair_ingest_lag_seconds{mount="met"}') ?? -1) >= 0);
    assert.equal(metricSample(text, 'onair_status_connections'), 1);
    assert.ok(metricSample(text, 'process_cpu_user_seconds_total') !== null, 'default process metrics');
    assert.ok(!text.includes('onair_redis_'), 'no Redis metrics without Redis');
    listener.stop();
    status.close();
  });
});

describe('operator endpoints, two nodes on redis', () => {
  const suite = redisPairSuite();

  it('reports Redis, publishing on the broadcasting node and relay lag on the other', async () => {
    const { a, b } = suite;
    await waitUntil(
      'ready',
      5_000,
      async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200,
    );
    const statusB = await watchStatus(`${b.wsUrl}duo`);
    await broadcast(a, 'duo');
    await statusB.waitFor((m) => m.state === 'live', 5_000);
    const listener = listen(`${b.baseUrl}/duo.webm`);
    assert.equal(await listener.status, 200);
    await listener.waitForBytes(1);

    const onA = await metrics(a);
    assert.equal(metricSample(onA, 'onair_redis_up'), 1);
    assert.equal(metricSample(onA, 'onair_mount_live{mount="duo",role="ingest"}'), 1);
    assert.equal(metricSample(onA, 'onair_cluster_claims'), 1);
    assert.ok((metricSample(onA, 'onair_redis_entries_published_total') ?? 0) >= CHUNKS.length);
    assert.equal(metricSample(onA, 'onair_redis_chunks_dropped_total'), 0);
    const onB = await metrics(b);
    assert.equal(metricSample(onB, 'onair_mount_live{mount="duo",role="relay"}'), 1);
    assert.equal(metricSample(onB, 'onair_listeners{mount="duo"}'), 1);
    assert.ok(metricSample(onB, 'onair_redis_lag_seconds{mount="duo"}') !== null);
    assert.ok((metricSample(onB, 'onair_relay_entries_total{mount="duo"}') ?? 0) > 0);
    listener.stop();
    statusB.close();
  });

  it('says not ready while Redis is away (healthz stays 200, claims get 503) and ready when it is back', async () => {
    const { a } = suite;
    await suite.redis.stop();
    await waitUntil('unready', 5_000, async () => (await readyz(a)).status === 503);
    assert.deepEqual((await readyz(a)).body, { status: 'not ready', reason: 'redis unreachable' });
    assert.equal((await fetch(`${a.baseUrl}/healthz`)).status, 200);
    const res = await fetch(`${a.baseUrl}/api/ingest/away/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.streamKey}` },
    });
    await assertErrorResponse(res, 'CLUSTER_UNAVAILABLE');
    assert.equal(metricSample(await metrics(a), 'onair_redis_up'), 0);

    suite.redis = await startRedis({ port: suite.redis.port });
    await waitUntil('ready again', 8_000, async () => (await readyz(a)).status === 200);
    assert.equal((await startSession(a.baseUrl, 'back', a.streamKey)).status, 201);
  });
});

describe('operator endpoints, Redis unreachable from the start', () => {
  it('runs, says not ready, and never logs the Redis password', async () => {
    const t = await startTestServer({ redisUrl: 'redis://:hunter2-secret@127.0.0.1:1/0' });
    try {
      // What this test is about is the log: wait for the outage to be logged, then read every line.
      await waitUntil('the outage logged', 5_000, () => t.logs.some((l) => l.msg === 'redis unreachable'));
      assert.equal((await fetch(`${t.baseUrl}/healthz`)).status, 200);
      assert.deepEqual(await readyz(t), {
        status: 503,
        body: { status: 'not ready', reason: 'redis unreachable' },
      });
      const res = await fetch(`${t.baseUrl}/api/ingest/live/session`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.streamKey}` },
      });
      await assertErrorResponse(res, 'CLUSTER_UNAVAILABLE');
      const logged = JSON.stringify(t.logs);
      assert.ok(logged.includes('redis unreachable'), 'the outage is logged');
      assert.ok(logged.includes('127.0.0.1:1'), 'with where Redis was looked for');
      assert.ok(!logged.includes('hunter2'), 'but never the password');
    } finally {
      await t.close();
    }
  });
});
