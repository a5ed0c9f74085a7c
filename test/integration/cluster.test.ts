/**
 * Two onair nodes on one real redis-server: node A is the real CLI in a child process (so it can be
 * SIGKILLed), node B runs in this process. ffmpeg broadcasts a 440 Hz tone to A; listeners on B
 * decode it, B's status counts A's listeners too, B refuses a second broadcaster for the mount
 * (409), and when A dies, B ends the mount within the broadcast's grace period and the claim
 * expires so B can take the mount. An MP3 source on A is served by B too: the frames, the format,
 * ICY titles.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLAIM_TTL_MS } from '../../src/server/cluster/claims.js';
import { ICY_METAINT } from '../../src/server/outputs/icy.js';
import type { CliServer } from '../../tools/cli.js';
import { startCliServer } from '../../tools/cli.js';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestRedis } from '../../tools/redis.js';
import { startRedis } from '../../tools/redis.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { listen, startSession, watchStatus } from '../helpers/clients.js';

const KEY = 'cluster-test-key-0123';

/** An Icecast source's PUT head (with a first body byte) on a raw socket; resolves with the answer. */
function rawPut(port: number, mount: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (b) => {
      text += b.toString('latin1');
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy());
    const auth = Buffer.from(`source:${KEY}`).toString('base64');
    socket.write(
      `PUT /${mount} HTTP/1.1\r\nAuthorization: Basic ${auth}\r\nContent-Type: audio/ogg\r\n\r\nO`,
    );
  });
}
/** `GET path` with `Icy-MetaData: 1` on a raw socket: the response head and the first metadata block's text. */
function firstIcyBlock(port: number, path: string, metaint: number): Promise<{ head: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no ICY block from ${path} in 5 s`)));
    socket.on('error', reject);
    let buf = Buffer.alloc(0);
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const at = end + 4 + metaint;
      if (buf.length <= at || buf.length < at + 1 + (buf[at] as number) * 16) return;
      const text = buf.toString('utf8', at + 1, at + 1 + (buf[at] as number) * 16).replace(/\0+$/, '');
      socket.destroy();
      resolve({ head: buf.toString('latin1', 0, end), text });
    });
    socket.write(`GET ${path} HTTP/1.0\r\nHost: x\r\nIcy-MetaData: 1\r\n\r\n`);
  });
}

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

  it('relays an MP3 mount: B serves its frames, says mp3, carries the title to ICY listeners', async () => {
    const mount = 'tunes';
    const statusB = await watchStatus(`${b.wsUrl}${mount}`);
    const src = startFfmpegSource({
      url: `icecast://source:${KEY}@127.0.0.1:${a.port}/${mount}`,
      format: 'mp3',
      seconds: 30,
    });
    try {
      const live = await statusB.waitFor((m) => m.state === 'live', 10_000);
      assert.equal(live.format, 'mp3');
      const auth = `Basic ${Buffer.from(`source:${KEY}`).toString('base64')}`;
      const title = 'Relayed MP3 – title';
      const set = await fetch(
        `http://127.0.0.1:${a.port}/admin/metadata?mount=/${mount}&mode=updinfo&song=${encodeURIComponent(title)}`,
        { headers: { authorization: auth }, signal: AbortSignal.timeout(5_000) },
      );
      assert.equal(set.status, 200);
      await statusB.waitFor((m) => m.title === title, 3_000);

      const [decoded, icy, plain] = await Promise.all([
        decodeWithFfmpeg(`${b.baseUrl}/${mount}.mp3`, 2),
        firstIcyBlock(b.server.httpPort, `/${mount}.mp3`, ICY_METAINT),
        listen(`${b.baseUrl}/${mount}`),
      ]);
      assert.equal(decoded.code, 0, decoded.stderr);
      const { hz, rms } = dominantHz(decoded.samples);
      assert.ok(Math.abs(hz - 440) <= 6, `mp3 on B: dominant ${hz} Hz`);
      assert.ok(rms > 0.02, `mp3 on B: rms ${rms}`);
      assert.match(icy.head, new RegExp(`^icy-metaint: ?${ICY_METAINT}\r?$`, 'im'));
      assert.equal(icy.text, `StreamTitle='${title}';`);
      // The mount's own URL on B serves the source's format, whole frames from the first byte.
      assert.equal(await plain.status, 200);
      assert.equal((await plain.headers)['content-type'], 'audio/mpeg');
      const head = await plain.waitForBytes(4, 5_000);
      plain.stop();
      assert.ok(
        head[0] === 0xff && ((head[1] as number) & 0xe0) === 0xe0,
        `frame sync: ${head.toString('hex')}`,
      );
      // B's Icecast status: the source's type and what its frames say, as on A.
      const [onA, onB] = await Promise.all(
        [`http://127.0.0.1:${a.port}`, b.baseUrl].map(async (base) => {
          const res = await fetch(`${base}/status-json.xsl`, { signal: AbortSignal.timeout(5_000) });
          const { icestats } = (await res.json()) as { icestats: { source?: unknown } };
          const all = ([] as Array<Record<string, unknown>>).concat(
            (icestats.source ?? []) as Record<string, unknown>,
          );
          const s = all.find((x) => String(x.listenurl).endsWith(`/${mount}`));
          return { type: s?.server_type, samplerate: s?.samplerate, channels: s?.channels };
        }),
      );
      assert.deepEqual(onB, { type: 'audio/mpeg', samplerate: 48_000, channels: 1 });
      assert.deepEqual(onB, onA);
    } finally {
      src.stop();
    }
    try {
      // The source's end reaches B as an end entry: B's mount goes OFFLINE, its relay is gone.
      await statusB.waitFor(
        (m) => m.state === 'offline' && statusB.messages.indexOf(m) > 0,
        GRACE_MS + 3_000,
      );
      assert.equal(b.server.cluster?.stats().relays.has(mount), false);
    } finally {
      statusB.close();
    }
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
      // The packets output on B: made there from the relayed WebM, one frame per Opus packet.
      const pkt = listen(`${b.baseUrl}/${mount}.pkt`);
      const got = await pkt.waitForBytes(8 + 8 + 1 + 400, 5_000);
      pkt.stop();
      assert.equal(got.toString('latin1', 0, 4), 'OPK1');
      let at = 8;
      let frames = 0;
      while (got.length - at >= 8 && got.length - at >= 8 + got.readUInt16BE(at)) {
        at += 8 + got.readUInt16BE(at);
        frames++;
      }
      assert.ok(frames >= 2, `${frames} packets from B's packets output`);
      // The HLS output on B: built there from what B relays.
      const hls = await fetch(`${b.baseUrl}/${mount}.m3u8`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(hls.status, 200);
      const playlist = await hls.text();
      const firstPart = /#EXT-X-PART:[^\n]*URI="([^"]+)"/.exec(playlist)?.[1];
      assert.ok(firstPart, playlist);
      const part = Buffer.from(await (await fetch(`${b.baseUrl}/${firstPart}`)).arrayBuffer());
      assert.equal(part.toString('latin1', 4, 8), 'moof');
      // B read the mount from Redis once for its two listeners.
      assert.deepEqual([...(b.server.cluster?.stats().relays.keys() ?? [])], [mount]);

      // A title set on B (Icecast metadata through the load balancer) reaches the owner, A.
      const auth = `Basic ${Buffer.from(`source:${KEY}`).toString('base64')}`;
      const meta = await fetch(
        `${b.baseUrl}/admin/metadata?mount=/${mount}&mode=updinfo&song=Relayed%20title`,
        {
          headers: { authorization: auth },
        },
      );
      assert.equal(meta.status, 200);
      let titleOnA = '';
      await waitUntil('the title on A', 3_000, async () => {
        const res = await fetch(`http://127.0.0.1:${a.port}/status-json.xsl`);
        titleOnA =
          ((await res.json()) as { icestats: { source?: { title?: string } } }).icestats.source?.title ?? '';
        return titleOnA === 'Relayed title';
      }).catch(() => {});
      assert.equal(titleOnA, 'Relayed title');

      // The mount is A's across the cluster, for the page's session and for an Icecast source.
      const second = await startSession(b.baseUrl, mount, KEY);
      assert.equal(second.status, 409);
      assert.equal((second.body as { error: { code: string } }).error.code, 'MOUNT_IN_USE');
      const answer = await rawPut(b.server.httpPort, mount);
      assert.match(answer, /^HTTP\/1\.0 409 /);
      assert.match(answer, /MOUNT_IN_USE/);

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
