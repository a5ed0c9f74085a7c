/**
 * Channels with `--redis`: two nodes on one real redis-server see a channel created on either at
 * once (its key opens it on the other node, its join link works there), a rotation on one revokes
 * on the other, and a kick on one ends the broadcast held by the other; a change made on one node
 * reaches the connections open on the other (listeners and status sockets cut, a source ended).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdminChannelList, ChannelCreated } from '../../src/shared/protocol.js';
import { paths } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { redisPairSuite } from '../../tools/suite.js';
import { waitUntil, withTimeout } from '../../tools/wait.js';
import { listen, loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';

const BEARER = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const { chunks: CHUNKS } = loadFixture();

async function channelsOf(t: TestServer): Promise<AdminChannelList['channels']> {
  const res = await fetch(`${t.baseUrl}${paths.adminChannels}`, { headers: BEARER });
  return ((await res.json()) as AdminChannelList).channels;
}

describe('channels on two redis nodes', () => {
  const suite = redisPairSuite();

  it('shows a channel created on one node on the other at once; keys, rotation and kick work across', async () => {
    const { a, b } = suite;
    // Node B's copy is loaded when its Redis connection is ready: wait for that before creating.
    await waitUntil('node B connected', 5_000, () => b.server.cluster?.ready === true);
    const res = await fetch(`${a.baseUrl}${paths.adminChannels}`, {
      method: 'POST',
      headers: { ...BEARER, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hall', visibility: 'private', title: 'Hall' }),
    });
    assert.equal(res.status, 201);
    const made = (await res.json()) as ChannelCreated;
    await waitUntil('node B sees the channel', 2_000, async () =>
      (await channelsOf(b)).some((c) => c.name === 'hall'),
    );
    assert.equal((await startSession(b.baseUrl, 'hall', 'wrong-key-0000000')).status, 401);
    const onB = await startSession(b.baseUrl, 'hall', made.streamKey);
    assert.equal(onB.status, 201, 'the key made on A opens the channel on B');
    await postChunk(b.baseUrl, 'hall', onB.session?.sessionId ?? '', 0, CHUNKS[0] as Buffer);
    const joined = await fetch(`${b.baseUrl}${made.channel.joinPath}`, { redirect: 'manual' });
    assert.equal(joined.status, 303, 'the join link made on A works on B');

    // A kick sent to A ends the broadcast B holds.
    assert.equal(b.server.hub.snapshot('hall').state, 'live');
    const kick = await fetch(`${a.baseUrl}${paths.adminKick('hall')}`, { method: 'POST', headers: BEARER });
    assert.equal(kick.status, 200);
    await waitUntil(
      'B ends the kicked broadcast',
      3_000,
      () => b.server.hub.snapshot('hall').state === 'offline',
    );

    // A rotation on A revokes on B.
    const rot = await fetch(`${a.baseUrl}${paths.adminRotateKey('hall')}`, {
      method: 'POST',
      headers: BEARER,
    });
    const { streamKey } = (await rot.json()) as { streamKey: string };
    await waitUntil(
      'B refuses the old key',
      2_000,
      async () => (await startSession(b.baseUrl, 'hall', made.streamKey)).status === 401,
    );
    const fresh = await startSession(b.baseUrl, 'hall', streamKey);
    assert.equal(fresh.status, 201);
  });

  it('cuts listeners and status sockets on the other node when a channel goes private; ends its channel-key source on rotation', async () => {
    const { a, b } = suite;
    await waitUntil('node B connected', 5_000, () => b.server.cluster?.ready === true);
    const res = await fetch(`${a.baseUrl}${paths.adminChannels}`, {
      method: 'POST',
      headers: { ...BEARER, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'yard' }),
    });
    const made = (await res.json()) as ChannelCreated;
    await waitUntil('node B sees the channel', 2_000, async () =>
      (await channelsOf(b)).some((c) => c.name === 'yard'),
    );
    const s = await startSession(b.baseUrl, 'yard', made.streamKey);
    assert.equal(s.status, 201);
    await postChunk(b.baseUrl, 'yard', s.session?.sessionId ?? '', 0, CHUNKS[0] as Buffer);
    const heard = listen(`${b.baseUrl}/yard.webm`);
    await heard.waitForBytes(1);
    const watcher = await watchStatus(`${b.wsUrl}yard`);

    // Made private on A: B's listener and status socket are cut, its broadcast goes on.
    const patch = await fetch(`${a.baseUrl}${paths.adminChannel('yard')}`, {
      method: 'PATCH',
      headers: { ...BEARER, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'private' }),
    });
    assert.equal(patch.status, 200);
    await withTimeout(heard.done, 3_000, "B's listener cut");
    assert.equal((await withTimeout(watcher.closed, 3_000, "B's status socket closed"))[0], 4403);
    assert.equal(b.server.hub.snapshot('yard').state, 'live');

    // The key rotated on A: B ends the source that came in with the old key.
    const rot = await fetch(`${a.baseUrl}${paths.adminRotateKey('yard')}`, {
      method: 'POST',
      headers: BEARER,
    });
    assert.equal(rot.status, 200);
    await waitUntil(
      'B ends the old key source',
      3_000,
      () => b.server.hub.snapshot('yard').state === 'offline',
    );
  });
});
