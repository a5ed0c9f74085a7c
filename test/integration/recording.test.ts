import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ListenAgainList, RecordingList } from '../../src/shared/protocol.js';
import { paths } from '../../src/shared/protocol.js';
import { startCliServer } from '../../tools/cli.js';
import { decodeFileWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { broadcastFixture, loadFixture, watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';
import { demuxPieces } from '../helpers/opus-webm.js';

const { bytes: FIXTURE } = loadFixture();
const ADMIN = { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` };

async function listRecordings(t: TestServer): Promise<RecordingList['recordings']> {
  const res = await fetch(`${t.baseUrl}${paths.adminRecordings}`, {
    headers: ADMIN,
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as RecordingList).recordings;
}

/** A recording's file name if it started now (the recorder's stamp: UTC, to the second). */
function stampNow(): string {
  return `${new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-')}.webm`;
}

function toFloat(pcm: Int16Array): Float32Array {
  return Float32Array.from(pcm, (v) => v / 32768);
}

describe('recording', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('writes a broadcast to recordings/<mount>/<start>.webm and finalises it there: every uploaded packet, in order, once', async () => {
    await broadcastFixture(t, 'rec');
    await waitUntil('finalised', 5_000, async () =>
      (await listRecordings(t)).some((r) => r.mount === 'rec' && r.finalised),
    );
    const mine = (await listRecordings(t)).filter((r) => r.mount === 'rec');
    assert.equal(mine.length, 1);
    const [rec] = mine;
    assert.ok(rec);
    assert.match(rec.name, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.webm$/);
    assert.equal(rec.live, false);
    assert.ok(rec.durationMs !== null && Math.abs(rec.durationMs - 6000) < 100, `${rec.durationMs} ms`);
    assert.ok(Math.abs(Date.parse(rec.startedAt) - Date.now()) < 60_000);
    const dir = join(t.dataDir, 'recordings', 'rec');
    assert.deepEqual(
      readdirSync(dir).sort(),
      [rec.name.replace('.webm', '.json'), rec.name],
      'no temporary file left',
    );
    const onDisk = readFileSync(join(dir, rec.name));
    assert.equal(rec.bytes, onDisk.length);
    const packets = (b: Uint8Array): Buffer[] => demuxPieces([b]).packets.map((p) => Buffer.from(p.data));
    assert.deepEqual(packets(onDisk), packets(FIXTURE), 'every uploaded Opus packet, in order, once');
    const res = await fetch(`${t.baseUrl}${paths.adminRecording('rec', rec.name)}`, { headers: ADMIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/webm');
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'CORS stays closed for admin');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), onDisk);
  });

  it('refuses the admin API without the admin token (401, challenge) and with the stream key', async () => {
    const none = await fetch(`${t.baseUrl}${paths.adminRecordings}`);
    await assertErrorResponse(none, 'AUTH_BAD_TOKEN');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
    const wrong = await fetch(`${t.baseUrl}${paths.adminRecordings}`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${t.streamKey}`).toString('base64')}` },
    });
    await assertErrorResponse(wrong, 'AUTH_BAD_TOKEN');
    const bearer = await fetch(`${t.baseUrl}${paths.adminRecordings}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(bearer.status, 200);
    const traversal = await fetch(`${t.baseUrl}/admin/api/recordings/rec/..%2F..%2Fstream-key`, {
      headers: ADMIN,
    });
    await assertErrorResponse(traversal, 'NOT_FOUND');
    const secretLogged = t.logs.some((l) => JSON.stringify(l).includes(TEST_ADMIN_TOKEN));
    assert.equal(secretLogged, false, 'the admin token never reaches the log');
  });

  it('records an ffmpeg (Ogg) broadcast as WebM that decodes to the 440 Hz tone, refusing to delete it while live', async () => {
    const status = await watchStatus(`${t.wsUrl}ogg-rec`);
    const src = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/ogg-rec`,
      format: 'ogg',
      seconds: 3,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      await waitUntil('listed', 5_000, async () =>
        (await listRecordings(t)).some((r) => r.mount === 'ogg-rec'),
      );
      const live = (await listRecordings(t)).find((r) => r.mount === 'ogg-rec');
      assert.ok(live?.live, 'listed as live while the broadcast runs');
      const del = await fetch(`${t.baseUrl}${paths.adminRecording('ogg-rec', live.name)}`, {
        method: 'DELETE',
        headers: ADMIN,
      });
      await assertErrorResponse(del, 'RECORDING_IN_PROGRESS');
      const seen = status.messages.length;
      await status.waitFor((m) => m.state === 'offline' && status.messages.indexOf(m) >= seen, 15_000);
      const done = (await listRecordings(t)).find((r) => r.name === live.name && r.mount === 'ogg-rec');
      assert.ok(done && !done.live, JSON.stringify(await listRecordings(t)));
      const pcm = decodeFileWithFfmpeg(join(t.dataDir, 'recordings', 'ogg-rec', done.name), { check: true });
      const seconds = pcm.samples.length / 48_000;
      assert.ok(seconds > 2.5 && seconds < 3.5, `decoded ${seconds.toFixed(2)} s of a 3 s broadcast`);
      const { hz } = dominantHz(toFloat(pcm.samples));
      assert.ok(Math.abs(hz - 440) < 10, `dominant ${hz} Hz`);
      await waitUntil('finalised', 5_000, async () =>
        (await listRecordings(t)).some((r) => r.mount === 'ogg-rec' && r.name === done.name && r.finalised),
      );
      const removed = await fetch(`${t.baseUrl}${paths.adminRecording('ogg-rec', done.name)}`, {
        method: 'DELETE',
        headers: ADMIN,
      });
      assert.equal(removed.status, 200, `${await removed.text()} ${JSON.stringify(await listRecordings(t))}`);
      const gone = await fetch(`${t.baseUrl}${paths.adminRecording('ogg-rec', done.name)}`, {
        headers: ADMIN,
      });
      await assertErrorResponse(gone, 'NOT_FOUND');
    } finally {
      src.stop();
      status.close();
    }
  });
});

describe('recording retention', () => {
  it('removes the oldest finished recordings beyond --record-max-bytes, and old ones at start-up', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'onair-retention-'));
    const oldDir = join(dataDir, 'recordings', 'old');
    mkdirSync(oldDir, { recursive: true });
    writeFileSync(join(oldDir, '2020-01-01T00-00-00Z.webm'), FIXTURE);
    const t = await startTestServer({
      recordMaxBytes: Math.floor(FIXTURE.length * 1.5),
      recordMaxDays: 30,
      dataDir,
    });
    try {
      assert.equal(
        existsSync(join(oldDir, '2020-01-01T00-00-00Z.webm')),
        false,
        'older than 30 days: pruned',
      );
      await broadcastFixture(t, 'keep');
      const [first] = await listRecordings(t);
      assert.ok(first);
      // Names carry the start to the second: start the second broadcast in a later second than the
      // first, so which of the two is older is in the names.
      await waitUntil('a later second', 2_000, () => stampNow() > first.name);
      await broadcastFixture(t, 'keep');
      const left = await listRecordings(t);
      assert.equal(left.length, 1, 'two recordings exceed 1.5 × one: the older is removed');
      assert.ok((left[0] as { name: string }).name > first.name, 'the newer one is kept');
      const kept = (left[0] as { name: string }).name;
      assert.deepEqual(
        readdirSync(join(dataDir, 'recordings', 'keep')).sort(),
        [kept.replace('.webm', '.json'), kept],
        'the pruned recording went with its sidecar',
      );
    } finally {
      await t.close();
    }
  });

  it('records nothing with --record off', async () => {
    const t = await startTestServer({ record: false });
    try {
      await broadcastFixture(t, 'norec');
      assert.deepEqual(await listRecordings(t), []);
      assert.equal(existsSync(join(t.dataDir, 'recordings')), false);
    } finally {
      await t.close();
    }
  });
});

describe('recording after kill -9', () => {
  it('keeps everything up to the last Cluster, and the restarted server finalises it (a stale half-finalised copy discarded)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'onair-kill9-'));
    const cli = await startCliServer(dataDir, 'kill9-key-0123456');
    let again: Awaited<ReturnType<typeof startCliServer>> | null = null;
    const src = startFfmpegSource({
      url: `icecast://source:kill9-key-0123456@127.0.0.1:${cli.port}/k9`,
      format: 'webm',
      seconds: 30,
    });
    try {
      const dir = join(dataDir, 'recordings', 'k9');
      const webm = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.webm'));
      await waitUntil('recording', 10_000, () => existsSync(dir) && webm().length === 1);
      // About 3 s on air: the source has sent 3 s past the moment the recording was there.
      const from = src.encodedSeconds();
      await waitUntil('3 s more sent', 10_000, () => src.encodedSeconds() >= from + 3);
      cli.kill();
      assert.equal((await cli.exited).signal, 'SIGKILL');
      const [name] = webm();
      assert.ok(name);
      const pcm = decodeFileWithFfmpeg(join(dir, name));
      const seconds = pcm.samples.length / 48_000;
      assert.ok(seconds > 2.3 && seconds < 4, `decoded ${seconds.toFixed(2)} s after about 3 s live`);
      const { hz } = dominantHz(toFloat(pcm.samples));
      assert.ok(Math.abs(hz - 440) < 10, `dominant ${hz} Hz`);

      // As if the process had also died while finalising: a half-written copy beside it.
      writeFileSync(join(dir, `${name}.finalising`), FIXTURE.subarray(0, 500));
      again = await startCliServer(dataDir, 'kill9-key-0123456', ['--listen-again', 'on']);
      const port = again.port;
      let listed: ListenAgainList['recordings'] = [];
      await waitUntil('finalised and listed', 10_000, async () => {
        const res = await fetch(`http://127.0.0.1:${port}${paths.listenAgainList('k9')}`);
        listed = ((await res.json()) as ListenAgainList).recordings;
        return listed.length === 1;
      });
      const [rec] = listed;
      assert.equal(rec?.name, name);
      assert.ok(
        Math.abs((rec?.durationMs ?? 0) / 1000 - seconds) < 0.1,
        `${rec?.durationMs} ms, decoded ${seconds} s`,
      );
      assert.deepEqual(
        webm(),
        [name],
        'one recording: the finalised file took the place of the crash-safe one',
      );
      assert.equal(existsSync(join(dir, `${name}.finalising`)), false, 'the stale copy is gone');
      assert.equal(decodeFileWithFfmpeg(join(dir, name)).samples.length, pcm.samples.length, 'nothing lost');
      assert.ok(again.out().includes('recording finalised'), again.out());
    } finally {
      src.stop();
      cli.kill();
      again?.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
