/**
 * Every listener format from every source: WebM and Ogg sources (real ffmpeg), heard through
 * /<mount>.webm, /<mount>.ogg and /<mount> by real ffmpeg decoding a 440 Hz tone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { listen, watchStatus } from '../helpers/clients.js';

async function assertHears440(url: string): Promise<void> {
  const { samples, code, stderr } = await decodeWithFfmpeg(url, 1.5);
  assert.equal(code, 0, `ffmpeg failed on ${url}: ${stderr}`);
  assert.ok(samples.length > 48_000, `${url}: only ${samples.length} samples decoded`);
  const { hz, rms } = dominantHz(samples);
  assert.ok(Math.abs(hz - 440) <= 6, `${url}: dominant ${hz} Hz`);
  assert.ok(rms > 0.05, `${url}: rms ${rms.toFixed(3)}`);
}

/** Splits an Ogg byte stream into pages (capture pattern, header type, granule, first packet bytes). */
function oggPages(buf: Buffer): Array<{ type: number; granule: bigint; body: Buffer }> {
  const pages: Array<{ type: number; granule: bigint; body: Buffer }> = [];
  let pos = 0;
  while (pos + 27 <= buf.length) {
    assert.equal(buf.toString('latin1', pos, pos + 4), 'OggS', `page at ${pos}`);
    const nseg = buf[pos + 26] ?? 0;
    if (pos + 27 + nseg > buf.length) break;
    let size = 0;
    for (let i = 0; i < nseg; i++) size += buf[pos + 27 + i] ?? 0;
    const start = pos + 27 + nseg;
    if (start + size > buf.length) break;
    pages.push({
      type: buf[pos + 5] ?? 0,
      granule: buf.readBigInt64LE(pos + 6),
      body: buf.subarray(start, start + size),
    });
    pos = start + size;
  }
  return pages;
}

describe('remux between WebM and Ogg', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  for (const format of ['ogg', 'webm'] as const) {
    it(`serves an ffmpeg ${format} source as WebM, Ogg and its own container`, async () => {
      const mount = `src-${format}`;
      const status = await watchStatus(`${t.wsUrl}${mount}`);
      const src = startFfmpegSource({
        url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/${mount}`,
        format,
        seconds: 12,
      });
      try {
        await status.waitFor((m) => m.state === 'live', 10_000);
        await assertHears440(`${t.baseUrl}/${mount}.webm`);
        await assertHears440(`${t.baseUrl}/${mount}.ogg`);
        await assertHears440(`${t.baseUrl}/${mount}`);
        const own = listen(`${t.baseUrl}/${mount}`);
        assert.equal((await own.headers)['content-type'], format === 'ogg' ? 'audio/ogg' : 'audio/webm');
        own.stop();
      } finally {
        src.stop();
        status.close();
      }
    });
  }

  it('starts a late Ogg listener with the header pages, then whole pages near the live edge', async () => {
    const status = await watchStatus(`${t.wsUrl}late-ogg`);
    const src = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/late-ogg`,
      format: 'webm',
      seconds: 10,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      // Join 3 s into the broadcast: once the mount's Ogg output has carried 3 s of audio.
      const early = listen(`${t.baseUrl}/late-ogg.ogg`);
      await waitUntil('3 s on air', 10_000, () => {
        const last = oggPages(early.received()).at(-1);
        return last !== undefined && last.granule >= 3n * 48_000n;
      });
      early.stop();
      const l = listen(`${t.baseUrl}/late-ogg.ogg`);
      assert.equal(await l.status, 200);
      const t0 = Date.now();
      const first = await l.waitForBytes(1);
      const firstMs = Date.now() - t0;
      // What arrives within one write interval past the first byte (the Ogg output writes every 250 ms,
      // oggFlushMs) is the burst: this window is the measurement, not a wait for an event.
      await new Promise((r) => setTimeout(r, 300));
      const burst = l.received();
      const pages = oggPages(burst);
      assert.ok(pages.length >= 3, `got ${pages.length} pages`);
      const [head, tags, audio] = pages;
      assert.ok(head && tags && audio);
      assert.equal(head.type & 0x02, 0x02, 'first page begins the stream');
      assert.equal(head.body.toString('latin1', 0, 8), 'OpusHead');
      assert.equal(tags.body.toString('latin1', 0, 8), 'OpusTags');
      // 3 s into the broadcast: it starts near live, not at the beginning.
      assert.ok(audio.granule > 48_000n, `first audio page granule ${audio.granule}`);
      // Within 300 ms of the first byte: the headers, the newest Cluster's pages and 300 ms of live
      // audio at most, not the seconds Icecast's burst hands out.
      const audioBytes = burst.length - head.body.length - tags.body.length;
      assert.ok(audioBytes < 8_000 * 0.8, `burst of ${audioBytes} audio bytes`);
      assert.ok(first.length > 0 && firstMs < 1_000);
      l.stop();
    } finally {
      src.stop();
      status.close();
    }
  });
});
