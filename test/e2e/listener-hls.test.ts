/**
 * The iPhone rungs of the listener page, in Debian's Chromium made to look like an iPhone's Safari to
 * the page (its scripts are preceded by an init script):
 * - no MediaSource of any kind and no WebCodecs, while its `<audio>` element plays HLS itself
 *   (Chromium's own HLS player: canPlayType says "maybe"): the page picks native HLS by itself and goes
 *   OFFLINE → "The stream is started" → plays 440 Hz → OFFLINE → plays again on the next broadcast;
 * - MediaSource renamed ManagedMediaSource (Safari 17.1+'s name): the page plays WebM/Opus through it
 *   with the HLS playlist as the element's AirPlay alternative `<source>`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { HLS } from '../../src/shared/protocol.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import {
  assertHears440,
  assertPlaying,
  STARTED,
  waitForPlaying,
  waitForStatus,
} from '../../tools/listener-page.js';
import { chromiumSuite } from '../../tools/suite.js';

/** Runs in the page before its scripts: what an iPhone's Safari (iOS 17–18) lacks. */
function removeMediaSourceAndWebCodecs(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ['MediaSource', 'ManagedMediaSource', 'AudioDecoder', 'EncodedAudioChunk']) {
    delete g[name];
  }
  // What the element went through, for a failure message.
  const events: string[] = [];
  g.__elementEvents = events;
  for (const type of ['loadstart', 'playing', 'waiting', 'ended', 'error', 'emptied']) {
    document.addEventListener(
      type,
      (e) => {
        const el = e.target as HTMLMediaElement;
        events.push(
          `${Math.round(performance.now())} ${type} ${el.getAttribute?.('src') ?? ''} ${el.error?.code ?? ''} ${el.error?.message ?? ''}`,
        );
      },
      true,
    );
  }
}

/** Runs in the page before its scripts: MediaSource under Safari 17.1's name, no WebCodecs. */
function managedMediaSourceOnly(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  g.ManagedMediaSource = g.MediaSource;
  for (const name of ['MediaSource', 'AudioDecoder', 'EncodedAudioChunk']) delete g[name];
}

function elementEvents(page: Page): Promise<string> {
  return page.evaluate(() =>
    ((globalThis as unknown as { __elementEvents?: string[] }).__elementEvents ?? []).join('; '),
  );
}

describe('listener page, iPhone rungs (iPhone-like Chromium)', () => {
  const suite = chromiumSuite();

  it('picks native HLS, plays 440 Hz, goes OFFLINE at the end and plays the next broadcast', async (t) => {
    const context = await suite.browser.newContext();
    await context.addInitScript(removeMediaSourceAndWebCodecs);
    const page = await context.newPage();
    const mount = 'phone';
    await page.goto(`${suite.server.baseUrl}/listen/${mount}`);
    assert.equal(
      await page.evaluate(() => typeof (globalThis as { MediaSource?: unknown }).MediaSource),
      'undefined',
    );
    await waitForStatus(page, 'OFFLINE');
    for (let round = 1; round <= 2; round++) {
      const src = startFfmpegSource({
        url: `icecast://source:${suite.server.streamKey}@127.0.0.1:${suite.server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: 30,
      });
      try {
        const startedAt = Date.now();
        await waitForStatus(page, STARTED);
        // The playlist is answered once it holds HOLD-BACK (3 s) of segments: playing within ~5 s.
        await waitForPlaying(page, 15_000).catch(async (err: unknown) => {
          throw new Error(`not playing; element events: ${await elementEvents(page)}`, { cause: err });
        });
        const details = (await page.locator('#details').textContent()) ?? '';
        assert.match(details, /^Native HLS · fMP4\/Opus/);
        const src2 = await page.locator('#player').getAttribute('src');
        assert.equal(src2, `/${mount}.m3u8`);
        await assertPlaying(page);
        await assertHears440(page, 3);
        const errors = (await elementEvents(page)).split('; ').filter((e) => / error /.test(e));
        assert.deepEqual(errors, [], 'the element never failed');
        t.diagnostic(
          `round ${round}: ${details}; playing ${Date.now() - startedAt} ms after the source started`,
        );
      } finally {
        src.stop();
      }
      await waitForStatus(page, 'OFFLINE');
    }
    await context.close();
  });

  it('plays through ManagedMediaSource with the HLS playlist as the AirPlay alternative source', async () => {
    const context = await suite.browser.newContext();
    await context.addInitScript(managedMediaSourceOnly);
    const page = await context.newPage();
    const mount = 'airplay';
    await page.goto(`${suite.server.baseUrl}/listen/${mount}`);
    await waitForStatus(page, 'OFFLINE');
    const src = startFfmpegSource({
      url: `icecast://source:${suite.server.streamKey}@127.0.0.1:${suite.server.server.httpPort}/${mount}`,
      format: 'ogg',
      seconds: 20,
    });
    try {
      await waitForStatus(page, STARTED);
      await waitForPlaying(page, 15_000);
      const details = (await page.locator('#details').textContent()) ?? '';
      assert.match(details, /^ManagedMediaSource · WebM\/Opus \(AirPlay: HLS\)/);
      const element = await page.evaluate(() => {
        const a = document.querySelector('#player') as HTMLAudioElement;
        return {
          src: a.getAttribute('src'),
          remote: a.disableRemotePlayback,
          sources: [...a.querySelectorAll('source')].map((s) => ({
            src: s.getAttribute('src') ?? '',
            type: s.type,
          })),
        };
      });
      assert.equal(element.src, null, 'the sources are children, not src');
      assert.equal(element.remote, false, 'remote playback (AirPlay) stays allowed');
      assert.equal(element.sources.length, 2);
      assert.match(element.sources[0]?.src ?? '', /^blob:/);
      assert.deepEqual(element.sources[1], { src: `/${mount}.m3u8`, type: HLS.mimeType });
      await assertPlaying(page);
      await assertHears440(page, 3);
    } finally {
      src.stop();
    }
    await waitForStatus(page, 'OFFLINE');
    // The session's end takes both sources away.
    await page.waitForFunction(() => document.querySelectorAll('#player source').length === 0, null, {
      timeout: 5_000,
    });
    await context.close();
  });
});
