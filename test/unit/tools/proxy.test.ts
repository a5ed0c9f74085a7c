/** The network-conditions proxy: its release schedule, and real sockets through it (order, delay, stall, cap). */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { releaseTime, startProxy } from '../../../tools/proxy.js';
import { waitUntil } from '../../../tools/wait.js';

const noDraw = (): number => 0.5;

describe('releaseTime', () => {
  it('adds the delay and the jitter drawn in its range', () => {
    assert.equal(
      releaseTime({ delayMs: 10, jitterMs: [20, 100] }, 1000, 100, 0, () => 0, 0),
      1030,
    );
    assert.equal(
      releaseTime({ delayMs: 10, jitterMs: [20, 100] }, 1000, 100, 0, () => 0.5, 0),
      1070,
    );
  });

  it('never releases a chunk before the one ahead of it', () => {
    assert.equal(
      releaseTime({ jitterMs: [0, 10] }, 1000, 100, 1200, () => 0, 0),
      1200,
    );
  });

  it('spaces chunks by their size under a bandwidth cap', () => {
    // 1000 bytes at 256 kbit/s take 31.25 ms.
    assert.equal(releaseTime({ bandwidthKbps: 256 }, 1000, 1000, 1000, noDraw, 0), 1031.25);
  });

  it('holds chunks that fall in a stall until it ends', () => {
    const c = { stall: { everyMs: 10_000, forMs: 400 } };
    assert.equal(releaseTime(c, 20_100, 10, 0, noDraw, 0), 20_400);
    assert.equal(releaseTime(c, 20_500, 10, 0, noDraw, 0), 20_500);
    assert.equal(releaseTime(c, 20_100, 10, 0, noDraw, 100), 20_500, 'counted from the clock start');
  });

  it('adds a spike to the chunks drawn for it', () => {
    const c = { spikeProbability: 0.02, spikeMs: 300 };
    assert.equal(
      releaseTime(c, 0, 10, 0, () => 0.01, 0),
      300,
    );
    assert.equal(
      releaseTime(c, 0, 10, 0, () => 0.5, 0),
      0,
    );
  });
});

/** An echo-free sink on 127.0.0.1 that timestamps every byte it receives. */
async function startSink(): Promise<{
  port: number;
  received: () => { bytes: Buffer; arrivals: { at: number; bytes: number }[] };
  server: net.Server;
}> {
  const parts: Buffer[] = [];
  const arrivals: { at: number; bytes: number }[] = [];
  const server = net.createServer((s) => {
    s.on('data', (b: Buffer) => {
      parts.push(b);
      arrivals.push({ at: performance.now(), bytes: b.length });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => ({ bytes: Buffer.concat(parts), arrivals }),
    server,
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

describe('startProxy', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  before(async () => {
    sink = await startSink();
  });
  after(() => new Promise<void>((r) => sink.server.close(() => r())));

  it('delivers every byte in order under jitter and spikes, each chunk delayed within the bounds', async () => {
    const proxy = await startProxy({
      up: { jitterMs: [20, 100], spikeProbability: 0.1, spikeMs: 300 },
      seed: 7,
    });
    proxy.setTarget(sink.port);
    const before = sink.received().bytes.length;
    const c = await connect(proxy.port);
    const sent: Buffer[] = [];
    const start = performance.now();
    for (let i = 0; i < 50; i++) {
      const chunk = Buffer.alloc(100, i);
      sent.push(chunk);
      c.write(chunk);
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitUntil('5000 bytes through', 10_000, () => sink.received().bytes.length - before >= 5000, 10);
    const got = sink.received().bytes.subarray(before);
    assert.deepEqual(got, Buffer.concat(sent));
    const first = sink.received().arrivals.find((a) => a.at >= start);
    assert.ok(first && first.at - start >= 19, `first chunk after ${first ? first.at - start : '?'} ms`);
    c.destroy();
    await proxy.close();
  });

  it('lets nothing through during a stall and everything right after it', async () => {
    const proxy = await startProxy({ up: { stall: { everyMs: 10_000, forMs: 300 } } });
    proxy.setTarget(sink.port);
    const c = await connect(proxy.port);
    const before = sink.received().bytes.length;
    const start = performance.now();
    c.write(Buffer.alloc(10, 1));
    await waitUntil('a byte through', 2_000, () => sink.received().bytes.length > before, 10);
    const waited = performance.now() - start;
    assert.ok(waited >= 250 && waited < 800, `first byte after ${waited.toFixed(0)} ms`);
    c.destroy();
    await proxy.close();
  });

  it('caps the bytes it holds by pausing the sender (bandwidth cap far below the offered load)', async () => {
    const cap = 64 * 1024;
    const proxy = await startProxy({ up: { bandwidthKbps: 8_000 }, maxQueuedBytes: cap });
    proxy.setTarget(sink.port);
    const c = await connect(proxy.port);
    const before = sink.received().bytes.length;
    const total = 512 * 1024;
    const start = performance.now();
    c.write(Buffer.alloc(total, 3));
    await waitUntil('every byte through', 10_000, () => sink.received().bytes.length - before >= total, 10);
    const seconds = (performance.now() - start) / 1000;
    // 512 KiB at 8 Mbit/s take 0.52 s.
    assert.ok(seconds > 0.45, `took ${seconds.toFixed(2)} s`);
    assert.ok(proxy.maxQueuedBytes <= cap + 64 * 1024 + 1400, `held at most ${proxy.maxQueuedBytes} bytes`);
    c.destroy();
    await proxy.close();
  });

  it('passes bytes straight through without conditions, and a cut closes connections', async () => {
    const proxy = await startProxy();
    proxy.setTarget(sink.port);
    const c = await connect(proxy.port);
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    const before = sink.received().bytes.length;
    c.write(Buffer.from('hello'));
    await waitUntil('5 bytes through', 2_000, () => sink.received().bytes.length - before === 5, 10);
    proxy.cut(100);
    await closed;
    assert.equal(proxy.accepted, 1);
    await proxy.close();
  });
});
