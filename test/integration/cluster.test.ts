/**
 * Two onair nodes on one real redis-server: node A is the real CLI in a child process (so it can be
 * SIGKILLed), node B runs in this process. ffmpeg broadcasts a 440 Hz tone to A; listeners on B
 * decode it, B's status counts A's listeners too, B refuses a second broadcaster for the mount
 * (409), and when A dies, B ends the mount within the broadcast's grace period and the claim
 * expires so B can take the mount.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLAIM_TTL_MS } from '../../src/server/cluster/claims.js';
import type { CliServer } from '../helpers/cli.js';
import { startCliServer } from '../helpers/cli.js';
import { listen, startSession, watchStatus } from '../helpers/clients.js';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../helpers/ffmpeg.js';
import type { TestRedis } from '../helpers/redis.js';
import { startRedis } from '../helpers/redis.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

const KEY = 'cluster-test-key-0123';
/** The Icecast source's grace period on node A (--source-timeout-ms). */
const GRACE_MS = 3_000;

describe('two nodes on redis', () => {
  let redis: TestRedis;
  let aDir: string;
  let a: CliServer;
  let b: TestServer;

  before(async () => {
    redis = await startRedis();
    aDir = await mkdtemp(join(tmpdir(), 'onair-node-a-'));
    a = await startCliServer(aDir, KEY, ['--redis', redis.url, '--source-timeout-ms', String(GRACE_MS)]);
    b = await startTestServer({ redisUrl: redis.url, streamKey: KEY });
  });
  after(async () => {
    a?.kill();
    await b?.close();
    await redis?.stop();
    await rm(aDir, { recursive: true, force: true });
  });

  it('relays A’s broadcast to B’s listeners, counts both nodes, refuses a second broadcaster, ends when A dies', async () => {
    const mount = 'tone';
    const statusB = await watchStatus(`${b.wsUrl}${mount}`);
    const src = startFfmpegSource({
      url: `icecast://source:${KEY}@127.0.0.1:${a.port}/${mount}`,
      format: 'webm',
      seconds: 60,
    });
    try {
      await statusB.waitFor((m) => m.state === 'live', 10_000);

      // One listener on A, two on B (WebM and the Ogg remux, both relayed).
      const onA = listen(`http://127.0.0.1:${a.port}/${mount}.ogg`);
      assert.equal(await onA.status, 200);
      const [webm, ogg] = await Promise.all([
        decodeWithFfmpeg(`${b.baseUrl}/${mount}.webm`, 2),
        decodeWithFfmpeg(`${b.baseUrl}/${mount}.ogg`, 2),
        statusB.waitFor((m) => m.state === 'live' && m.listeners === 3, 5_000),
      ]);
      for (const [name, decoded] of [
        ['webm', webm],
        ['ogg', ogg],
      ] as const) {
        assert.equal(decoded.code, 0, `${name}: ${decoded.stderr}`);
        const { hz, rms } = dominantHz(decoded.samples);
        assert.ok(Math.abs(hz - 440) <= 6, `${name} on B: dominant ${hz} Hz`);
        assert.ok(rms > 0.05, `${name} on B: rms ${rms}`);
      }
      onA.stop();

      // The mount is A's across the cluster.
      const second = await startSession(b.baseUrl, mount, KEY);
      assert.equal(second.status, 409);
      assert.equal((second.body as { error: { code: string } }).error.code, 'MOUNT_IN_USE');

      // Node B relays but does not record; A records.
      assert.equal(existsSync(join(b.dataDir, 'recordings', mount)), false);

      const killedAt = Date.now();
      const seen = statusB.messages.length;
      a.kill();
      await statusB.waitFor(
        (m) => m.state === 'offline' && statusB.messages.indexOf(m) >= seen,
        GRACE_MS + 3_000,
      );
      const endedMs = Date.now() - killedAt;
      // The grace period, plus the relay's 250 ms check and a status push.
      assert.ok(endedMs <= GRACE_MS + 1_000, `B ended the mount ${endedMs} ms after A died`);

      // A's claim expires: a broadcaster on B gets the mount.
      let claimed = await startSession(b.baseUrl, mount, KEY);
      while (claimed.status === 409 && Date.now() - killedAt < CLAIM_TTL_MS + 3_000) {
        await new Promise((r) => setTimeout(r, 250));
        claimed = await startSession(b.baseUrl, mount, KEY);
      }
      assert.equal(claimed.status, 201, JSON.stringify(claimed.body));
      const tookMs = Date.now() - killedAt;
      assert.ok(tookMs <= CLAIM_TTL_MS + 1_000, `claim free ${tookMs} ms after A died`);
    } finally {
      src.stop();
      statusB.close();
    }
  });
});
