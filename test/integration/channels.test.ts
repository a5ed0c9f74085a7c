/**
 * Channels (issue 16) on a real server: the organiser's session (cookie flags, CSRF, sign-out), key
 * isolation between channels for the page's ingest and Icecast sources, rotation, private channels
 * (every listener path refused without the join cookie; join links and codes; forged, expired,
 * replayed and revoked tokens; the limiter against code guessing), kicking, hostile names, a
 * restart that keeps the channels, and changes that reach the connections already open (made
 * private, join secret or host key rotated).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { mintJoinToken } from '../../src/server/channels/access.js';
import type { ChannelRecord } from '../../src/server/channels/channel.js';
import type {
  AdminChannel,
  AdminChannelList,
  ChannelCreated,
  RecordingList,
} from '../../src/shared/protocol.js';
import { ADMIN_CSRF_HEADER, paths, statusCloseCode } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { waitUntil, withTimeout } from '../../tools/wait.js';
import type { Listener } from '../helpers/clients.js';
import { endSession, listen, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

const { chunks: CHUNKS } = loadFixture();
const BEARER = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function api(
  t: TestServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = BEARER,
) {
  return fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
    signal: AbortSignal.timeout(5_000),
  });
}

async function createChannel(t: TestServer, input: Record<string, unknown>): Promise<ChannelCreated> {
  const res = await api(t, 'POST', paths.adminChannels, input);
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as ChannelCreated;
}

/** An Icecast source's PUT on a raw socket; resolves with the status line's code. */
function icecastPut(t: TestServer, mount: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(t.server.httpPort, '127.0.0.1');
    let text = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (b) => {
      text += b.toString('latin1');
      const m = /^HTTP\/1\.\d (\d{3})/.exec(text);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    const auth = Buffer.from(`source:${key}`).toString('base64');
    socket.write(
      `PUT /${mount} HTTP/1.1\r\nAuthorization: Basic ${auth}\r\nContent-Type: audio/webm\r\n\r\n`,
    );
  });
}

/** Status code of a raw GET (the front door's listener path), with an optional cookie. */
function rawGet(t: TestServer, path: string, cookie?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${t.baseUrl}${path}`, { headers: cookie ? { cookie } : {} }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The status socket's answer for `mount`: 'open' or the refused upgrade's status. */
function statusUpgrade(t: TestServer, mount: string, cookie?: string): Promise<string | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.wsUrl}${mount}`, { headers: cookie ? { cookie } : {} });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    ws.on('error', () => {});
  });
}

async function storedChannel(t: TestServer, name: string): Promise<ChannelRecord> {
  const doc = JSON.parse(await readFile(join(t.dataDir, 'channels.json'), 'utf8')) as {
    channels: ChannelRecord[];
  };
  const r = doc.channels.find((c) => c.name === name);
  assert.ok(r);
  return r;
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0] ?? '';
}

/** A listener of `path` (with `cookie`) once its first bytes came; the status otherwise. */
async function listening(t: TestServer, path: string, cookie?: string): Promise<Listener | number> {
  const l = listen(`${t.baseUrl}${path}`, cookie ? { cookie } : {});
  const status = await withTimeout(l.status, 5_000, `answer to ${path}`);
  if (status !== 200) {
    l.stop();
    return status;
  }
  await l.waitForBytes(1);
  return l;
}

/** `listening`, asserting it listens. */
async function listener(t: TestServer, path: string, cookie?: string): Promise<Listener> {
  const l = await listening(t, path, cookie);
  assert.ok(typeof l !== 'number', `${path}: ${String(l)}`);
  return l;
}

async function goLive(t: TestServer, mount: string, key: string): Promise<string> {
  const { session, status } = await startSession(t.baseUrl, mount, key);
  assert.equal(status, 201);
  assert.ok(session);
  await postChunk(t.baseUrl, mount, session.sessionId, 0, CHUNKS[0] as Buffer);
  return session.sessionId;
}

describe('channels', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ authMaxFailures: 1000 });
  });
  after(() => t.close());

  it('refuses the dashboard API without a session, signs in with flags and CSRF, signs out', async () => {
    await assertErrorResponse(await api(t, 'GET', paths.adminChannels, undefined, {}), 'AUTH_BAD_TOKEN');
    // The dashboard's own requests get no Basic challenge (no password dialog).
    const quiet = await api(t, 'GET', paths.adminChannels, undefined, { [ADMIN_CSRF_HEADER]: '1' });
    assert.equal(quiet.headers.get('www-authenticate'), null);
    await assertErrorResponse(quiet, 'AUTH_BAD_TOKEN');
    const csrf = { [ADMIN_CSRF_HEADER]: '1' };
    await assertErrorResponse(
      await api(t, 'POST', paths.adminSession, { token: 'wrong-token-000' }, csrf),
      'AUTH_BAD_TOKEN',
    );
    await assertErrorResponse(
      await api(t, 'POST', paths.adminSession, { token: TEST_ADMIN_TOKEN }, {}),
      'ADMIN_CSRF',
    );

    const signIn = await api(t, 'POST', paths.adminSession, { token: TEST_ADMIN_TOKEN }, csrf);
    assert.equal(signIn.status, 204);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^onair_admin=[^;]+; Path=\/admin; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: no Secure flag');
    const cookie = cookieOf(signIn);

    assert.equal((await api(t, 'GET', paths.adminChannels, undefined, { cookie })).status, 200);
    // Changes need the CSRF header, and no foreign Origin.
    await assertErrorResponse(
      await api(t, 'POST', paths.adminChannels, { name: 'csrf-a' }, { cookie }),
      'ADMIN_CSRF',
    );
    await assertErrorResponse(
      await api(
        t,
        'POST',
        paths.adminChannels,
        { name: 'csrf-a' },
        { cookie, ...csrf, origin: 'https://evil.example' },
      ),
      'ADMIN_CSRF',
    );
    assert.equal(
      (await api(t, 'POST', paths.adminChannels, { name: 'csrf-a' }, { cookie, ...csrf })).status,
      201,
    );
    // Recordings take the session too.
    assert.equal((await api(t, 'GET', paths.adminRecordings, undefined, { cookie })).status, 200);

    assert.equal((await api(t, 'DELETE', paths.adminSession, undefined, { cookie, ...csrf })).status, 204);
    await assertErrorResponse(
      await api(t, 'GET', paths.adminChannels, undefined, { cookie }),
      'AUTH_BAD_TOKEN',
    );
  });

  it('sets Secure on the session cookie over HTTPS', async () => {
    const { request } = await import('node:https');
    const setCookie = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${t.httpsUrl}${paths.adminSession}`,
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/json', [ADMIN_CSRF_HEADER]: '1' },
        },
        (res) => {
          resolve(String(res.headers['set-cookie'] ?? ''));
          res.resume();
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ token: TEST_ADMIN_TOKEN }));
    });
    assert.match(setCookie, /HttpOnly; SameSite=Strict; Secure$/);
  });

  it('opens only its own channel with a channel key, for page ingest and Icecast sources; rotation revokes', async () => {
    const a = await createChannel(t, { name: 'room-a', title: 'Room A' });
    const b = await createChannel(t, { name: 'room-b' });
    assert.equal(a.streamKey.length, 32);
    assert.ok(
      !JSON.stringify(await (await api(t, 'GET', paths.adminChannels)).json()).includes(a.streamKey),
      'shown once',
    );

    assert.equal((await startSession(t.baseUrl, 'room-b', a.streamKey)).status, 401);
    assert.equal((await startSession(t.baseUrl, 'unconfigured', a.streamKey)).status, 401);
    assert.equal(await icecastPut(t, 'room-b', a.streamKey), 401);
    assert.equal(await icecastPut(t, 'room-a', b.streamKey), 401);
    const own = await startSession(t.baseUrl, 'room-a', a.streamKey);
    assert.equal(own.status, 201);
    await endSession(t.baseUrl, 'room-a', own.session?.sessionId ?? '');
    assert.equal(await icecastPut(t, 'room-b', b.streamKey), 200);
    // The operator key opens every channel, and unconfigured mounts behave as before.
    const op = await startSession(t.baseUrl, 'room-a', t.streamKey);
    assert.equal(op.status, 201);
    await endSession(t.baseUrl, 'room-a', op.session?.sessionId ?? '');
    const free = await startSession(t.baseUrl, 'unconfigured', t.streamKey);
    assert.equal(free.status, 201);
    await endSession(t.baseUrl, 'unconfigured', free.session?.sessionId ?? '');

    const rotated = (await (await api(t, 'POST', paths.adminRotateKey('room-a'))).json()) as {
      streamKey: string;
    };
    assert.notEqual(rotated.streamKey, a.streamKey);
    assert.equal((await startSession(t.baseUrl, 'room-a', a.streamKey)).status, 401);
    const fresh = await startSession(t.baseUrl, 'room-a', rotated.streamKey);
    assert.equal(fresh.status, 201);
    await endSession(t.baseUrl, 'room-a', fresh.session?.sessionId ?? '');
    const text = JSON.stringify(t.logs);
    assert.ok(!text.includes(a.streamKey) && !text.includes(rotated.streamKey), 'keys never logged');
  });

  it('refuses every way to a private channel without the join cookie; join link and code let in', async () => {
    const made = await createChannel(t, { name: 'class-7', visibility: 'private', listenAgain: true });
    const ch: AdminChannel = made.channel;
    assert.ok(ch.joinCode && ch.joinPath);
    const sessionId = await goLive(t, 'class-7', made.streamKey);
    const check = (await (
      await fetch(`${t.baseUrl}${paths.ingestCheck('class-7')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${made.streamKey}` },
      })
    ).json()) as { joinPath?: string };
    assert.equal(check.joinPath, ch.joinPath, 'the host page gets the join link');

    for (const path of [
      '/class-7',
      '/class-7.webm',
      '/class-7.ogg',
      '/class-7.pkt?status=1',
      '/class-7.m3u8',
      '/hls/class-7/x/init.mp4',
    ]) {
      const res = await fetch(`${t.baseUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
      await assertErrorResponse(res, 'CHANNEL_PRIVATE');
      assert.equal(await rawGet(t, path), 403, path);
    }
    assert.equal(await statusUpgrade(t, 'class-7'), 403);
    // Its past broadcasts too (listen-again is on for this channel).
    await assertErrorResponse(
      await fetch(`${t.baseUrl}${paths.listenAgainList('class-7')}`),
      'CHANNEL_PRIVATE',
    );
    const stats = (await (await fetch(`${t.baseUrl}/status-json.xsl`)).json()) as {
      icestats: { source?: Record<string, unknown> | Array<Record<string, unknown>> };
    };
    const sources = [stats.icestats.source ?? []].flat();
    const listed = sources.find((s) => s.server_name === 'class-7');
    assert.ok(listed, 'listed');
    assert.equal(listed.listenurl, undefined);
    assert.equal(listed.hls_url, undefined);
    assert.deepEqual(await (await fetch(`${t.baseUrl}${paths.join('class-7')}`)).json(), {
      private: true,
      joined: false,
    });

    // The join link: a cookie, then the listener page.
    const joined = await fetch(`${t.baseUrl}${ch.joinPath}`, { redirect: 'manual' });
    assert.equal(joined.status, 303);
    assert.equal(joined.headers.get('location'), '/listen/class-7');
    assert.match(
      joined.headers.get('set-cookie') ?? '',
      /^onair_join_class-7=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
    );
    const cookie = cookieOf(joined);
    assert.equal(await rawGet(t, '/class-7.webm', cookie), 200);
    const again = await fetch(`${t.baseUrl}${paths.listenAgainList('class-7')}`, { headers: { cookie } });
    assert.equal(again.status, 200);
    await again.arrayBuffer();
    // A malformed reload is answered at once (a first playlist is held until HOLD-BACK's worth of
    // segments exist, longer than this one-chunk broadcast lasts); past the gate, it goes out private.
    const playlist = await fetch(`${t.baseUrl}/class-7.m3u8?_HLS_part=0`, { headers: { cookie } });
    assert.equal(playlist.status, 400);
    // Never in a shared cache (nginx, a CDN) that would serve it without the cookie.
    assert.equal(playlist.headers.get('cache-control'), 'private, no-store');
    assert.equal(playlist.headers.get('vary'), 'Cookie');
    await playlist.arrayBuffer();
    assert.equal(await statusUpgrade(t, 'class-7', cookie), 'open');
    assert.deepEqual(
      await (await fetch(`${t.baseUrl}${paths.join('class-7')}`, { headers: { cookie } })).json(),
      {
        private: true,
        joined: true,
      },
    );

    // The join code typed on the page (any case, with a dash).
    await assertErrorResponse(
      await api(t, 'POST', paths.join('class-7'), { code: 'wrongcode' }, {}),
      'JOIN_REFUSED',
    );
    const code = `${ch.joinCode.slice(0, 4).toUpperCase()}-${ch.joinCode.slice(4)}`;
    const byCode = await api(t, 'POST', paths.join('class-7'), { code }, {});
    assert.equal(byCode.status, 204);
    assert.equal(await rawGet(t, '/class-7.ogg', cookieOf(byCode)), 200);

    // Forged, expired, another channel's, replayed after rotation.
    const record = await storedChannel(t, 'class-7');
    const good = new URL(`http://x${ch.joinPath}`).searchParams.get('t') ?? '';
    // One character of the MAC changed (in the middle: every bit of it counts).
    const at = good.length - 20;
    const forged = `${good.slice(0, at)}${good[at] === 'A' ? 'B' : 'A'}${good.slice(at + 1)}`;
    const expired = mintJoinToken(record, Math.floor(Date.now() / 1000) - 10);
    await createChannel(t, { name: 'class-8', visibility: 'private' });
    for (const [mount, token] of [
      ['class-7', forged],
      ['class-7', expired],
      ['class-7', 'x'.repeat(5000)],
      ['class-8', good],
    ] as const) {
      await assertErrorResponse(
        await api(t, 'GET', `${paths.join(mount)}?t=${token}`, undefined, {}),
        'JOIN_REFUSED',
      );
    }
    assert.equal(
      await rawGet(t, '/class-8.webm', cookie.replace('class-7', 'class-8')),
      403,
      'a cookie of another channel',
    );
    const rotated = (await (await api(t, 'POST', paths.adminRotateJoin('class-7'))).json()) as AdminChannel;
    assert.notEqual(rotated.joinCode, ch.joinCode);
    await assertErrorResponse(await api(t, 'GET', ch.joinPath, undefined, {}), 'JOIN_REFUSED');
    assert.equal(await rawGet(t, '/class-7.webm', cookie), 403, 'the old cookie is revoked');
    await assertErrorResponse(
      await api(t, 'POST', paths.join('class-7'), { code: ch.joinCode }, {}),
      'JOIN_REFUSED',
    );
    // An expiring link from the API works until it expires.
    const link = (await (
      await api(t, 'POST', paths.adminJoinLink('class-7'), { expiresInHours: 1 })
    ).json()) as {
      path: string;
      expiresAt: string;
    };
    assert.ok(link.expiresAt);
    assert.equal((await api(t, 'GET', link.path, undefined, {})).status, 303);

    // The organiser kicks the source: the broadcast ends.
    assert.equal(t.server.hub.snapshot('class-7').state, 'live');
    assert.equal((await api(t, 'POST', paths.adminKick('class-7'))).status, 200);
    assert.equal(await endSession(t.baseUrl, 'class-7', sessionId), 401, 'the kicked session is gone');
    assert.equal(t.server.hub.snapshot('class-7').state, 'offline');
  });

  it('records a channel only while its recording is on', async () => {
    const on = await createChannel(t, { name: 'rec-on' });
    const off = await createChannel(t, { name: 'rec-off', record: false, retentionDays: 7 });
    assert.equal(off.channel.retentionDays, 7);
    const s1 = await goLive(t, 'rec-on', on.streamKey);
    const s2 = await goLive(t, 'rec-off', off.streamKey);
    const mounts = async (): Promise<string[]> =>
      ((await (await api(t, 'GET', paths.adminRecordings)).json()) as RecordingList).recordings.map(
        (r) => r.mount,
      );
    await waitUntil('rec-on is recorded', 3_000, async () => (await mounts()).includes('rec-on'));
    assert.equal(t.server.hub.snapshot('rec-off').state, 'live');
    assert.ok(!(await mounts()).includes('rec-off'));
    await endSession(t.baseUrl, 'rec-on', s1);
    await endSession(t.baseUrl, 'rec-off', s2);
  });

  it('cuts open listeners and status sockets when a channel goes private or its join secret turns; a good cookie gets back in', async () => {
    const made = await createChannel(t, { name: 'hall', visibility: 'private' });
    const joined = await api(t, 'GET', made.channel.joinPath ?? '', undefined, {});
    assert.equal(joined.status, 303);
    const cookie = cookieOf(joined);
    assert.equal((await api(t, 'PATCH', paths.adminChannel('hall'), { visibility: 'public' })).status, 200);
    const sessionId = await goLive(t, 'hall', made.streamKey);

    // Public: anyone listens. Then private again: every open stream and status socket is cut.
    const stranger = await listener(t, '/hall.webm');
    const member = await listener(t, '/hall.ogg', cookie);
    const packets = await listener(t, '/hall.pkt?status=1');
    const watcher = await watchStatus(`${t.wsUrl}hall`);
    assert.equal(t.server.hub.snapshot('hall').localListeners, 3);
    assert.equal((await api(t, 'PATCH', paths.adminChannel('hall'), { visibility: 'private' })).status, 200);
    await withTimeout(Promise.all([stranger.done, member.done, packets.done]), 5_000, 'streams cut');
    assert.deepEqual(await withTimeout(watcher.closed, 5_000, 'status socket closed'), [
      statusCloseCode('CHANNEL_ACCESS_CHANGED'),
      'CHANNEL_ACCESS_CHANGED',
    ]);
    assert.equal(t.server.hub.snapshot('hall').state, 'live', 'the broadcast goes on');
    // On reconnect the one check decides: without the cookie 403, with a good one back in.
    assert.equal(await listening(t, '/hall.webm'), 403);
    assert.equal(await statusUpgrade(t, 'hall'), 403);
    const back = await listener(t, '/hall.webm', cookie);
    const backStatus = await watchStatus(`${t.wsUrl}hall`, { cookie });

    // A new join secret: the cookie-holder is cut and refused.
    const rotated = (await (await api(t, 'POST', paths.adminRotateJoin('hall'))).json()) as AdminChannel;
    await withTimeout(back.done, 5_000, 'cookie-holder cut');
    assert.equal((await withTimeout(backStatus.closed, 5_000, 'status closed'))[0], 4403);
    assert.equal(await listening(t, '/hall.webm', cookie), 403);
    assert.equal(await statusUpgrade(t, 'hall', cookie), 403);
    // A change that gives no one less access cuts nobody.
    const newCookie = cookieOf(await api(t, 'GET', rotated.joinPath ?? '', undefined, {}));
    const newcomer = await listener(t, '/hall.webm', newCookie);
    assert.equal((await api(t, 'PATCH', paths.adminChannel('hall'), { title: 'Hall' })).status, 200);
    assert.equal(t.server.hub.snapshot('hall').localListeners, 1);
    newcomer.stop();
    await endSession(t.baseUrl, 'hall', sessionId);
  });

  it('ends a source that came in with a channel key when the key is rotated; the operator key stays', async () => {
    const made = await createChannel(t, { name: 'studio' });
    const byChannelKey = await goLive(t, 'studio', made.streamKey);
    const heard = await listener(t, '/studio.webm');
    assert.equal((await api(t, 'POST', paths.adminRotateKey('studio'))).status, 200);
    assert.equal(t.server.hub.snapshot('studio').state, 'offline');
    await withTimeout(heard.done, 5_000, 'listener ended with the broadcast');
    assert.equal(await endSession(t.baseUrl, 'studio', byChannelKey), 401, 'the session is gone');
    assert.equal(await icecastPut(t, 'studio', made.streamKey), 401, 'the old key is refused');

    const byOperator = await goLive(t, 'studio', t.streamKey);
    assert.equal((await api(t, 'POST', paths.adminRotateKey('studio'))).status, 200);
    assert.equal(t.server.hub.snapshot('studio').state, 'live', "the operator key's source stays");
    await endSession(t.baseUrl, 'studio', byOperator);
  });

  it('refuses hostile names and settings', async () => {
    for (const name of ['a'.repeat(65), '../etc', 'Upper', 'admin', 'api', '', 'a b']) {
      await assertErrorResponse(await api(t, 'POST', paths.adminChannels, { name }), 'MOUNT_INVALID');
    }
    await assertErrorResponse(
      await api(t, 'POST', paths.adminChannels, { name: 'ok-1', title: 'x'.repeat(201) }),
      'BAD_REQUEST',
    );
    await assertErrorResponse(
      await api(t, 'POST', paths.adminChannels, { name: 'ok-1', visibility: 'secret' }),
      'BAD_REQUEST',
    );
    await assertErrorResponse(
      await api(t, 'POST', paths.adminChannels, { name: 'ok-1', retentionDays: -1 }),
      'BAD_REQUEST',
    );
    await assertErrorResponse(
      await api(t, 'POST', paths.adminChannels, { name: 'ok-1', description: 'x'.repeat(9000) }),
      'BAD_REQUEST',
    );
    await createChannel(t, { name: 'ok-1' });
    await assertErrorResponse(await api(t, 'POST', paths.adminChannels, { name: 'ok-1' }), 'CHANNEL_EXISTS');
    for (const path of [
      '/admin/api/channels/..%2Fok-1',
      '/admin/api/channels/%2e%2e',
      '/admin/api/channels/OK-1',
    ]) {
      const res = await api(t, 'DELETE', path);
      assert.equal(res.status, 404, path);
    }
    await assertErrorResponse(
      await api(t, 'GET', `${paths.join('ok-1')}?t=1.0.${'A'.repeat(43)}`, undefined, {}),
      'JOIN_REFUSED',
    );
  });
});

describe('channels: the join code limiter and a restart', () => {
  it('sends a code guesser to 429, even with the right code', async () => {
    const t = await startTestServer({ authMaxFailures: 3 });
    try {
      const { channel } = await createChannel(t, { name: 'quiz', visibility: 'private' });
      for (let i = 0; i < 3; i++) {
        await assertErrorResponse(
          await api(t, 'POST', paths.join('quiz'), { code: `guess${i}` }, {}),
          'JOIN_REFUSED',
        );
      }
      await assertErrorResponse(
        await api(t, 'POST', paths.join('quiz'), { code: channel.joinCode }, {}),
        'AUTH_RATE_LIMITED',
      );
    } finally {
      await t.close();
    }
  });

  it('keeps channels, keys and join links across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onair-channels-'));
    try {
      const first = await startTestServer({ dataDir: dir });
      const made = await createChannel(first, { name: 'assembly', visibility: 'private', title: 'Assembly' });
      await first.close();
      const second = await startTestServer({ dataDir: dir });
      try {
        const list = (await (await api(second, 'GET', paths.adminChannels)).json()) as AdminChannelList;
        assert.deepEqual(
          list.channels.map((c) => [c.name, c.title, c.visibility, c.joinCode]),
          [['assembly', 'Assembly', 'private', made.channel.joinCode]],
        );
        const s = await startSession(second.baseUrl, 'assembly', made.streamKey);
        assert.equal(s.status, 201);
        await endSession(second.baseUrl, 'assembly', s.session?.sessionId ?? '');
        assert.equal((await api(second, 'GET', made.channel.joinPath ?? '', undefined, {})).status, 303);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
