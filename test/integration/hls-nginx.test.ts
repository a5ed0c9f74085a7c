/**
 * Debian's nginx in front of the HLS output, with the README's `proxy_cache` + `proxy_cache_lock`
 * configuration: a crowd of clients asking at once for the same blocking reload and the same part
 * makes one request each to onair (counted by a forwarder between nginx and onair), and every client
 * gets the same bytes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import { hlsHint, hlsParts, hlsPosition } from '../../tools/hls.js';
import type { CountingForwarder, Nginx } from '../../tools/nginx.js';
import { NGINX, startCountingForwarder, startNginx } from '../../tools/nginx.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { watchStatus } from '../helpers/clients.js';

/** Clients asking for each part at once. */
const CROWD = 300;
/** Parts followed in a row. */
const PARTS = 5;

describe('HLS through nginx (proxy_cache_lock)', () => {
  let t: TestServer;
  let forwarder: CountingForwarder;
  let nginx: Nginx;
  before(async () => {
    assert.equal(
      spawnSync(NGINX, ['-v']).status,
      0,
      'nginx must be installed (bash scripts/install-deps.sh --test)',
    );
    t = await startTestServer();
    forwarder = await startCountingForwarder(t.baseUrl);
    nginx = await startNginx(forwarder.hostPort);
  });
  after(async () => {
    await nginx?.close();
    await forwarder?.close();
    await t?.close();
  });

  it(`turns ${CROWD} clients per part into one origin request per part and per blocking reload`, async (t2) => {
    const mount = 'edge';
    const status = await watchStatus(`${t.wsUrl}${mount}`);
    const src = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/${mount}`,
      format: 'ogg',
      seconds: 40,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      const playlistUrl = `${nginx.url}/${mount}.m3u8`;
      const first = await fetch(playlistUrl, { signal: AbortSignal.timeout(10_000) });
      assert.equal(first.status, 200, `nginx answered ${first.status}; its log: ${nginx.stderr()}`);
      let at = hlsPosition(hlsHint(await first.text()) ?? '');
      const asked: string[] = [];
      for (let i = 0; i < PARTS; i++) {
        const reload = `/${mount}.m3u8?_HLS_msn=${at.msn}&_HLS_part=${at.part}`;
        // Every client: the blocking reload for the next part, then that part.
        const results = await Promise.all(
          Array.from({ length: CROWD }, async () => {
            const r = await fetch(`${nginx.url}${reload}`, { signal: AbortSignal.timeout(15_000) });
            assert.equal(r.status, 200);
            const text = await r.text();
            const partUri = hlsParts(text).find((u) => {
              const p = hlsPosition(u);
              return p.msn === at.msn && p.part === at.part;
            });
            assert.ok(partUri, `the reload lists part ${at.msn}.${at.part}`);
            const p = await fetch(`${nginx.url}/${partUri}`, { signal: AbortSignal.timeout(15_000) });
            assert.equal(p.status, 200);
            return { text, partUri, bytes: Buffer.from(await p.arrayBuffer()) };
          }),
        );
        const one = results[0];
        assert.ok(one);
        for (const r of results) {
          assert.equal(r.text, one.text, 'every client got the same playlist');
          assert.ok(r.bytes.equals(one.bytes), 'every client got the same part');
        }
        asked.push(reload, `/${one.partUri}`);
        at = hlsPosition(hlsHint(one.text) ?? '');
      }
      const counts = asked.map((path) => forwarder.counts.get(path) ?? 0);
      t2.diagnostic(`origin requests per URL (${CROWD} clients each): ${counts.join(' ')}`);
      for (const [i, path] of asked.entries()) {
        assert.equal(counts[i], 1, `${path} reached onair ${counts[i]} times`);
      }
    } finally {
      src.stop();
      status.close();
    }
  });
});
