import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ListenAgainList } from '../../src/shared/protocol.js';
import { paths } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { broadcastFixture, loadFixture, postChunk, startSession } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

async function list(t: TestServer, mount: string): Promise<ListenAgainList['recordings']> {
  const res = await fetch(`${t.baseUrl}${paths.listenAgainList(mount)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as ListenAgainList).recordings;
}

describe('listen-again', () => {
  let t: TestServer;
  let rec: ListenAgainList['recordings'][number];
  let onDisk: Buffer;
  before(async () => {
    t = await startTestServer({ listenAgain: true });
    await broadcastFixture(t, 'class', 'Chemistry, lesson 4');
    await waitUntil('listed', 5_000, async () => (await list(t, 'class')).length === 1);
    rec = (await list(t, 'class'))[0] as ListenAgainList['recordings'][number];
    onDisk = readFileSync(join(t.dataDir, 'recordings', 'class', rec.name));
  });
  after(() => t.close());

  it('lists a finished broadcast with its title, start and length', () => {
    assert.equal(rec.title, 'Chemistry, lesson 4');
    assert.deepEqual(rec.titles, [{ atMs: 0, title: 'Chemistry, lesson 4' }]);
    assert.ok(Math.abs(rec.durationMs - 6000) < 100, `${rec.durationMs} ms`);
    assert.ok(Math.abs(Date.parse(rec.startedAt) - Date.now()) < 60_000);
    assert.equal(rec.url, paths.listenAgainFile('class', rec.name));
    assert.equal(rec.bytes, onDisk.length);
  });

  it('serves the recording with range requests: 200 whole, 206 with the right bytes, 416 past the end, 304 when unchanged', async () => {
    const url = `${t.baseUrl}${rec.url}`;
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'audio/webm');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.headers.get('cache-control'), 'private, max-age=3600');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), onDisk);
    const lastModified = whole.headers.get('last-modified');
    assert.ok(lastModified);

    const part = await fetch(url, { headers: { range: 'bytes=1000-1999', 'if-range': lastModified } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${onDisk.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), onDisk.subarray(1000, 2000));

    const tail = await fetch(url, { headers: { range: 'bytes=-100' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), onDisk.subarray(onDisk.length - 100));

    const past = await fetch(url, { headers: { range: `bytes=${onDisk.length + 10}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${onDisk.length}`);
    await past.arrayBuffer();

    // fetch() adds `Cache-Control: no-cache` to a conditional request (the Fetch standard), so ask as a
    // browser's cache revalidates: plain HTTP.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.get(url, { headers: { 'if-modified-since': lastModified }, timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    });
    assert.equal(status, 304);
  });

  it('refuses path tricks, sidecars, temporary files and other names with 404', async () => {
    const sidecar = rec.name.replace('.webm', '.json');
    for (const path of [
      `/listen-again/class/..%2F..%2Fstream-key`,
      `/listen-again/class/..%2Fclass%2F${rec.name}`,
      `/listen-again/class/${sidecar}`,
      `/listen-again/class/${rec.name}.finalising`,
      `/listen-again/class/%2E%2E`,
      `/listen-again/Class/${rec.name}`,
      `/listen-again/api/${rec.name}`,
      `/listen-again/other/${rec.name}`,
      `/api/listen-again/..%2Fclass`,
      `/api/listen-again/${'x'.repeat(65)}`,
    ]) {
      await assertErrorResponse(await fetch(`${t.baseUrl}${path}`), 'NOT_FOUND');
    }
  });

  it('lists and serves nothing of a broadcast still live', async () => {
    const { session } = await startSession(t.baseUrl, 'live-one', t.streamKey);
    assert.ok(session);
    const [first] = loadFixture().chunks;
    assert.equal((await postChunk(t.baseUrl, 'live-one', session.sessionId, 0, first as Buffer)).status, 200);
    assert.deepEqual(await list(t, 'live-one'), []);
    const res = await fetch(`${t.baseUrl}/admin/api/recordings`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    const live = ((await res.json()) as { recordings: { mount: string; name: string }[] }).recordings.find(
      (r) => r.mount === 'live-one',
    );
    assert.ok(live);
    await assertErrorResponse(
      await fetch(`${t.baseUrl}${paths.listenAgainFile('live-one', live.name)}`),
      'NOT_FOUND',
    );
  });

  it('serves the page for a valid mount only', async () => {
    const page = await fetch(`${t.baseUrl}${paths.listenAgainPage('class')}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /media-src 'self'/);
    assert.match(await page.text(), /assets\/again\.js/);
    await assertErrorResponse(await fetch(`${t.baseUrl}/listen-again/No%20Such`), 'NOT_FOUND');
  });
});

describe('listen-again off (the default)', () => {
  it('answers 404 for the list and the files, though the broadcast is recorded', async () => {
    const t = await startTestServer();
    try {
      await broadcastFixture(t, 'quiet');
      await waitUntil('finalised', 5_000, () => t.logs.some((l) => l.msg === 'recording finalised'));
      await assertErrorResponse(await fetch(`${t.baseUrl}${paths.listenAgainList('quiet')}`), 'NOT_FOUND');
      const [name] = readdirSync(join(t.dataDir, 'recordings', 'quiet')).filter((f) => f.endsWith('.webm'));
      assert.ok(name);
      await assertErrorResponse(
        await fetch(`${t.baseUrl}${paths.listenAgainFile('quiet', name)}`),
        'NOT_FOUND',
      );
    } finally {
      await t.close();
    }
  });
});
