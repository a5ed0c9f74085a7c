/** The packets output `GET /<mount>.pkt` (the low-latency player's stream): header, one frame per Opus packet, a late joiner starts at the newest packet. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKETS, paths } from '../../src/shared/protocol.js';
import {
  endSession,
  FIXTURE_DIR,
  listen,
  loadFixture,
  postChunk,
  startSession,
  watchStatus,
} from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

const { chunks: CHUNKS } = loadFixture();

interface Parsed {
  channels: number;
  frames: { pts: number; samples: number; bytes: number }[];
  rest: number;
}

function parse(b: Buffer): Parsed {
  assert.equal(b.toString('latin1', 0, 4), PACKETS.magic);
  const out: Parsed = { channels: b.readUInt8(4), frames: [], rest: 0 };
  let at = PACKETS.headerBytes;
  while (b.length - at >= PACKETS.frameHeaderBytes) {
    const n = b.readUInt16BE(at);
    if (b.length - at < PACKETS.frameHeaderBytes + n) break;
    out.frames.push({ pts: b.readUInt32BE(at + 2), samples: b.readUInt16BE(at + 6), bytes: n });
    at += PACKETS.frameHeaderBytes + n;
  }
  out.rest = b.length - at;
  return out;
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
});
