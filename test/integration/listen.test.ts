import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../tools/server.js';
import { readMetric, startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { CLUSTER_ID, endSession, listen, loadFixture, postChunk, startSession } from '../helpers/clients.js';

const { bytes: FIXTURE } = loadFixture();
const INIT = FIXTURE.subarray(0, FIXTURE.indexOf(CLUSTER_ID));

/** An unknown-size Cluster holding one SimpleBlock of `payloadBytes` (8-byte size vint). */
function bigCluster(payloadBytes: number, fill: number): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE((1n << 56n) | BigInt(payloadBytes));
  return Buffer.concat([
    CLUSTER_ID,
    Buffer.from('01ffffffffffffff', 'hex'),
    Buffer.from('e78100', 'hex'),
    Buffer.from([0xa3]),
    size,
    Buffer.alloc(payloadBytes, fill),
  ]);
}

describe('listeners', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxListenerBufferBytes: 64 * 1024, maxChunkBytes: 1024 * 1024 });
  });
  after(() => t.close());

  it('drops a listener that stops reading, without slowing the broadcaster or other listeners', async () => {
    const { session } = await startSession(t.baseUrl, 'live', t.streamKey);
    assert.ok(session);
    assert.equal(
      (await postChunk(t.baseUrl, 'live', session.sessionId, 0, Buffer.concat([INIT, bigCluster(1000, 1)])))
        .status,
      200,
    );

    const fast = listen(`${t.baseUrl}/live.webm`);
    assert.equal(await fast.status, 200);
    // The stalled listener: a raw socket that never reads.
    const port = Number(new URL(t.baseUrl).port);
    const stalled = net.connect(port, '127.0.0.1');
    stalled.write('GET /live.webm HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    stalled.pause();
    stalled.on('error', () => {});
    await waitUntil('the stalled listener in', 5_000, () => t.server.hub.snapshot('live').listeners === 2);

    const CHUNK = 512 * 1024;
    const COUNT = 48; // 24 MiB: far beyond kernel socket buffers and the 64 KiB budget
    let sent = 0;
    const t0 = Date.now();
    for (let i = 1; i <= COUNT; i++) {
      const c = bigCluster(CHUNK, i);
      const r = await postChunk(t.baseUrl, 'live', session.sessionId, i, c);
      assert.equal(r.status, 200);
      sent += c.length;
    }
    const uploadMs = Date.now() - t0;
    const total = INIT.length + bigCluster(1000, 1).length + sent;
    const got = await fast.waitForBytes(total, 20_000);
    assert.equal(got.length, total, 'the reading listener got every byte');
    // (The stalled client never reads, so it cannot see the close; the server's side is what counts.)
    stalled.destroy();
    assert.equal(await readMetric(t.baseUrl, 'onair_listeners_dropped_total{mount="live"}'), 1);
    assert.ok(uploadMs < 20_000);
    assert.equal(t.server.hub.snapshot('live').slowDropped, 1);
    assert.equal(t.server.hub.snapshot('live').listeners, 1);
    // What an operator sees: Icecast's slow_listeners counter in /status-json.xsl.
    const stats = (await (await fetch(`${t.baseUrl}/status-json.xsl`)).json()) as {
      icestats: { source: { slow_listeners: number } };
    };
    assert.equal(stats.icestats.source.slow_listeners, 1);
    await endSession(t.baseUrl, 'live', session.sessionId);
    await fast.done;
  });

  it('lets a listener that joins while a Cluster is over the burst cap start at the next Cluster', async () => {
    const small = await startTestServer({ burstBytes: 4096, maxChunkBytes: 1024 * 1024 });
    try {
      const { session } = await startSession(small.baseUrl, 'live', small.streamKey);
      assert.ok(session);
      await postChunk(
        small.baseUrl,
        'live',
        session.sessionId,
        0,
        Buffer.concat([INIT, bigCluster(10_000, 7)]),
      );
      const late = listen(`${small.baseUrl}/live.webm`);
      assert.equal(await late.status, 200);
      const next = bigCluster(100, 9);
      await postChunk(small.baseUrl, 'live', session.sessionId, 1, next);
      const got = await late.waitForBytes(INIT.length + next.length);
      assert.deepEqual(got, Buffer.concat([INIT, next]));
      await endSession(small.baseUrl, 'live', session.sessionId);
    } finally {
      await small.close();
    }
  });

  it('serves the stream with CORS open and no caching', async () => {
    const { session } = await startSession(t.baseUrl, 'cors', t.streamKey);
    assert.ok(session);
    await postChunk(t.baseUrl, 'cors', session.sessionId, 0, Buffer.concat([INIT, bigCluster(10, 1)]));
    const l = listen(`${t.baseUrl}/cors.webm`);
    const h = await l.headers;
    assert.equal(h['access-control-allow-origin'], '*');
    assert.equal(h['content-type'], 'audio/webm');
    assert.match(String(h['cache-control']), /no-store/);
    await endSession(t.baseUrl, 'cors', session.sessionId);
    await l.done;
  });
});
