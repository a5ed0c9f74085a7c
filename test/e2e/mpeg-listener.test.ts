/**
 * The listener page on an MP3 mount (ffmpeg sending MP3 at its defaults, as a station's encoder
 * does), in Chromium: OFFLINE, then "The stream is started", the element playing the mount's MP3 as
 * the station sends it and 440 Hz heard, then OFFLINE again when the source stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../tools/chromium.js';
import type { FfmpegSource } from '../../tools/ffmpeg.js';
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

describe('listener page on an MP3 mount', () => {
  let server: TestServer;
  let browser: Browser;
  let source: FfmpegSource | null = null;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    source?.stop();
    await browser?.close();
    await server?.close();
  });

  it('goes OFFLINE → started → plays the MP3 (440 Hz) → OFFLINE', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/listen/radio`);
    await waitForStatus(page, 'OFFLINE');
    source = startFfmpegSource({
      url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/radio`,
      format: 'mp3',
      seconds: 30,
    });
    await waitForStatus(page, STARTED);
    await waitForPlaying(page, 15_000);
    await page.locator('#details', { hasText: 'MP3, as the station sends it' }).waitFor({ timeout: 2_000 });
    const src = await page.evaluate(() => (document.querySelector('#player') as HTMLAudioElement).currentSrc);
    assert.match(src, /\/radio\.mp3$/);
    await assertPlaying(page);
    await assertHears440(page, 2);
    source.stop();
    await waitForStatus(page, 'OFFLINE');
    await context.close();
  });
});
