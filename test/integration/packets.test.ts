/** The packets output `GET /<mount>.pkt` (the low-latency player's stream): header, one frame per Opus packet, a late joiner starts at the newest packet. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http2 from 'node:http2';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusMessage } from '../../src/shared/protocol.js';
import { PACKETS, parseServerMessage, paths } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import {
  endSession,
  FIXTURE_DIR,
  listen,
  loadFixture,
  postChunk,
  setTitle,
  startSession,
  watchStatus,
} from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

interface Parsed {
  channels: number;
  /** Opus packets. */
  frames: { pts: number; samples: number; bytes: number }[];
  /** Status frames (samples 0), as parsed messages. */
  statuses: StatusMessage[];
  /** Every frame in stream order: 'p' for a packet, 's' for a status frame. */
  order: string;
  rest: number;
}

function parse(b: Buffer): Parsed {
  assert.equal(b.toString('latin1', 0, 4), PACKETS.magic);
  const out: Parsed = { channels: b.readUInt8(4), frames: [], statuses: [], order: '', rest: 0 };
  let at = PACKETS.headerBytes;
  const fh = PACKETS.frameHeaderBytes;
  while (b.length - at >= fh) {
    const n = b.readUInt16BE(at);
    if (b.length - at < fh + n) break;
    const samples = b.readUInt16BE(at + 6);
    if (samples === 0) {
      const msg = parseServerMessage(b.toString('utf8', at + fh, at + fh + n));
      assert.ok(
        msg?.type === 'status',
        `a status frame holds a status message: ${b.toString('utf8', at + fh, at + fh + n)}`,
      );
      out.statuses.push(msg);
      out.order += 's';
    } else {
      out.frames.push({ pts: b.readUInt32BE(at + 2), samples, bytes: n });
      out.order += 'p';
    }
    at += fh + n;
  }
  out.rest = b.length - at;
  return out;
}

/** A `.pkt?status=1` stream over HTTPS/HTTP2 (the express path): its bytes, until the stream ends. */
function listenH2(httpsUrl: string, path: string): { done: Promise<Buffer>; received: () => number } {
  const client = http2.connect(httpsUrl, { rejectUnauthorized: false });
  const parts: Buffer[] = [];
  let size = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    const s = client.request({ ':path': path });
    s.on('response', (h) => {
      if (Number(h[':status']) !== 200) reject(new Error(`status ${h[':status']}`));
    });
    s.on('data', (b: Buffer) => {
      parts.push(b);
      size += b.length;
    });
    s.on('end', () => {
      client.close();
      resolve(Buffer.concat(parts));
    });
    s.on('error', reject);
  });
  return { done, received: () => size };
}

/** Opus packets in the fixture, from ffprobe: what a listener from the start must get, one frame each. */
function fixturePackets(): number {
  const run = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'a:0',
      '-count_packets',
      '-show_entries',
      'stream=nb_read_packets',
      '-of',
      'csv=p=0',
      join(FIXTURE_DIR, 'chromium-opus.webm'),
    ],
    { encoding: 'utf8' },
  );
  return Number(run.stdout.trim());
}

describe('packets output', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('sends the header, then every Opus packet as its own frame, in order', async () => {
    const status = await watchStatus(`${t.wsUrl}pk`);
    const { session } = await startSession(t.baseUrl, 'pk', t.streamKey);
    assert.ok(session);
    assert.equal((await postChunk(t.baseUrl, 'pk', session.sessionId, 0, CHUNKS[0] as Buffer)).status, 200);
    await status.waitFor((m) => m.state === 'live');
    const early = listen(`${t.baseUrl}${paths.listenPackets('pk')}`);
    assert.equal((await early.headers)['content-type'], PACKETS.contentType);
    assert.equal((await early.headers)['access-control-allow-origin'], '*');
    for (let i = 1; i < CHUNKS.length; i++) {
      assert.equal((await postChunk(t.baseUrl, 'pk', session.sessionId, i, CHUNKS[i] as Buffer)).status, 200);
    }
    // Every chunk is acknowledged once the server has published it: the late joiner comes after all.
    const late = listen(`${t.baseUrl}${paths.listenPackets('pk')}`);
    await late.waitForBytes(PACKETS.headerBytes + PACKETS.frameHeaderBytes + 1);
    // The end of the broadcast ends both streams: what each got is then complete.
    assert.equal(await endSession(t.baseUrl, 'pk', session.sessionId), 200);
    const got = parse(await early.done);
    const lateGot = parse(await late.done);
    status.close();

    assert.ok(got.channels === 1 || got.channels === 2, `${got.channels} channels`);
    assert.equal(got.rest, 0, 'only whole frames');
    assert.equal(got.statuses.length + lateGot.statuses.length, 0, 'no status frames unless asked for');
    // The early listener joined after chunk 0: every packet from then on, pts strictly rising, no gap.
    for (let i = 1; i < got.frames.length; i++) {
      const prev = got.frames[i - 1] as { pts: number; samples: number };
      assert.equal(
        (got.frames[i] as { pts: number }).pts,
        prev.pts + prev.samples,
        `packet ${i} follows packet ${i - 1}`,
      );
    }
    const total = fixturePackets();
    assert.ok(
      got.frames.length > 0 && got.frames.length <= total,
      `${got.frames.length} of ${total} packets`,
    );
    // The late joiner: the header and the newest packet only, not a Cluster's worth.
    assert.equal(lateGot.frames.length, 1);
    assert.deepEqual(lateGot.frames[0], got.frames[got.frames.length - 1]);
  });

  it('gives each of 300 listeners every packet from its join on, in order, once', async () => {
    const n = 300;
    const { session } = await startSession(t.baseUrl, 'many', t.streamKey);
    assert.ok(session);
    assert.equal((await postChunk(t.baseUrl, 'many', session.sessionId, 0, CHUNKS[0] as Buffer)).status, 200);
    const url = `${t.baseUrl}${paths.listenPackets('many')}`;
    const listeners = Array.from({ length: n }, () => listen(url));
    // All of them in before the rest of the broadcast: they start at the same packet.
    const statuses = await Promise.all(listeners.map((l) => l.status));
    assert.deepEqual(new Set(statuses), new Set([200]));
    await Promise.all(listeners.map((l) => l.waitForBytes(PACKETS.headerBytes)));
    for (let i = 1; i < CHUNKS.length; i++) {
      assert.equal(
        (await postChunk(t.baseUrl, 'many', session.sessionId, i, CHUNKS[i] as Buffer)).status,
        200,
      );
    }
    // The end of the broadcast ends every stream: what each got is then complete.
    assert.equal(await endSession(t.baseUrl, 'many', session.sessionId), 200);
    const bodies = await Promise.all(listeners.map((l) => l.done));
    const total = fixturePackets();
    const first = parse(bodies[0] as Buffer);
    assert.equal(first.rest, 0, 'only whole frames');
    for (let i = 1; i < first.frames.length; i++) {
      const prev = first.frames[i - 1] as { pts: number; samples: number };
      assert.equal((first.frames[i] as { pts: number }).pts, prev.pts + prev.samples, `packet ${i} follows`);
    }
    // The fixture's packets are 20 ms (960 samples) from pts 0: the first frame's index plus the
    // frames received is every packet of the recording, so none is missing at the end either.
    const startIndex = (first.frames[0] as { pts: number }).pts / 960;
    assert.equal(
      startIndex + first.frames.length,
      total,
      `from packet ${startIndex}, ${first.frames.length} of ${total}`,
    );
    // Every listener got exactly the same bytes.
    bodies.forEach((b, i) => {
      assert.ok(b.equals(bodies[0] as Buffer), `listener ${i} got the same stream`);
    });
  });

  it('carries the status in the stream when asked (?status=1): now, on each change, OFFLINE at the end', async () => {
    const { session } = await startSession(t.baseUrl, 'st', t.streamKey);
    assert.ok(session);
    const status = await watchStatus(`${t.wsUrl}st`);
    assert.equal((await postChunk(t.baseUrl, 'st', session.sessionId, 0, CHUNKS[0] as Buffer)).status, 200);
    await status.waitFor((m) => m.state === 'live');
    status.close();
    const path = paths.listenPackets('st', { status: true });
    const plain = listen(`${t.baseUrl}${path}`);
    assert.equal(await plain.status, 200);
    const secure = listenH2(t.httpsUrl, path);
    // The first status frame comes right after the newest packet.
    await plain.waitForBytes(PACKETS.headerBytes + 2 * PACKETS.frameHeaderBytes + 2);
    await setTitle(t.baseUrl, 'st', session.sessionId, 'Chemistry, lesson 4');
    for (let i = 1; i < CHUNKS.length; i++) {
      assert.equal((await postChunk(t.baseUrl, 'st', session.sessionId, i, CHUNKS[i] as Buffer)).status, 200);
    }
    assert.equal(await endSession(t.baseUrl, 'st', session.sessionId), 200);

    for (const [name, body] of [
      ['plain HTTP', await plain.done],
      ['HTTPS/HTTP2', await secure.done],
    ] as const) {
      const got = parse(body);
      assert.equal(got.rest, 0, `${name}: only whole frames`);
      assert.ok(got.frames.length > 1, `${name}: ${got.frames.length} packets`);
      for (let i = 1; i < got.frames.length; i++) {
        const prev = got.frames[i - 1] as { pts: number; samples: number };
        assert.equal(
          (got.frames[i] as { pts: number }).pts,
          prev.pts + prev.samples,
          `${name}: packet ${i} follows`,
        );
      }
      const first = got.statuses[0];
      assert.equal(first?.state, 'live', `${name}: the current status at once`);
      assert.ok((first?.listeners ?? 0) >= 1, `${name}: counts this listener's audience`);
      assert.ok(
        got.statuses.some((m) => m.state === 'live' && m.title === 'Chemistry, lesson 4'),
        `${name}: the title change: ${JSON.stringify(got.statuses)}`,
      );
      const last = got.statuses[got.statuses.length - 1];
      assert.equal(last?.state, 'offline', `${name}: OFFLINE at the end`);
      assert.equal(last?.title, null);
      assert.ok(got.order.endsWith('s'), `${name}: the OFFLINE frame is the last frame`);
      assert.equal(got.statuses.filter((m) => m.state === 'offline').length, 1, `${name}: one OFFLINE`);
    }
  });
});
