/**
 * The iPhone rung of the listener page, in Debian's Chromium made to look like an iPhone's Safari to
 * the page: no MediaSource, no ManagedMediaSource, no WebCodecs (removed before the page's scripts
 * run), while its `<audio>` element plays HLS itself (Chromium's own HLS player: canPlayType says
 * "maybe"). The page picks native HLS by itself and goes OFFLINE → "The stream is started" → plays
 * 440 Hz → OFFLINE → plays again on the next broadcast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../tools/chromium.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import {
  assertHears440,
  assertPlaying,
  STARTED,
  waitForPlaying,
  waitForStatus,
} from '../../tools/listener-page.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';

/** Runs in the page before its scripts: what an iPhone's Safari (iOS 17–18) lacks. */
function removeMediaSourceAndWebCodecs(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ['MediaSource', 'ManagedMediaSource', 'AudioDecoder', 'EncodedAudioChunk']) {
    delete g[name];
  }
  // What the element went through, for the failure message.
  const events: string[] = [];
  g.__elementEvents = events;
  for (const type of ['loadstart', 'playing', 'waiting', 'ended', 'error', 'emptied']) {
    document.addEventListener(
      type,
      (e) => {
        const el = e.target as HTMLMediaElement;
        events.push(
          `${Math.round(performance.now())} ${type} ${el.getAttribute?.('src') ?? ''} ${el.error?.code ?? ''}`,
        );
      },
      true,
    );
  }
}

function elementEvents(page: Page): Promise<string> {
  return page.evaluate(() =>
    ((globalThis as unknown as { __elementEvents?: string[] }).__elementEvents ?? []).join('; '),
  );
}

describe('listener page, native HLS rung (iPhone-like Chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('picks native HLS, plays 440 Hz, goes OFFLINE at the end and plays the next broadcast', async (t) => {
    const context = await browser.newContext();
    await context.addInitScript(removeMediaSourceAndWebCodecs);
    const page = await context.newPage();
    const mount = 'phone';
    await page.goto(`${server.baseUrl}/listen/${mount}`);
    assert.equal(
      await page.evaluate(() => typeof (globalThis as { MediaSource?: unknown }).MediaSource),
      'undefined',
    );
    await waitForStatus(page, 'OFFLINE');
    for (let round = 1; round <= 2; round++) {
      const src = startFfmpegSource({
        url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: 40,
      });
      try {
        await waitForStatus(page, STARTED);
        await waitForPlaying(page, 20_000);
        const details = (await page.locator('#details').textContent()) ?? '';
        assert.match(details, /^Native HLS · fMP4\/Opus/);
        const src2 = await page.locator('#player').getAttribute('src');
        assert.equal(src2, `/${mount}.m3u8`, `element events: ${await elementEvents(page)}`);
        await assertPlaying(page);
        await assertHears440(page, 3);
        t.diagnostic(`round ${round}: ${details}`);
      } finally {
        src.stop();
      }
      await waitForStatus(page, 'OFFLINE');
    }
    await context.close();
  });
});
