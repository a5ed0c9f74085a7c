/**
 * The listener page on an MP3 or AAC mount (ffmpeg sending MP3, or AAC in ADTS, at its defaults, as
 * a station's encoder does), in Chromium: OFFLINE, then "The stream is started", the element playing
 * the mount's own bytes as the station sends them and 440 Hz heard, then OFFLINE again when the
 * source stops.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FfmpegSource } from '../../tools/ffmpeg.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import {
  assertHears440,
  assertPlaying,
  STARTED,
  waitForPlaying,
  waitForStatus,
} from '../../tools/listener-page.js';
import { chromiumSuite } from '../../tools/suite.js';

for (const { format, name, mount } of [
  { format: 'mp3', name: 'MP3', mount: 'radio' },
  { format: 'aac', name: 'AAC', mount: 'radio-aac' },
] as const) {
  describe(`listener page on an ${name} mount`, () => {
    const suite = chromiumSuite();
    let source: FfmpegSource | null = null;
    after(() => source?.stop());

    it(`goes OFFLINE → started → plays the ${name} (440 Hz) → OFFLINE`, async () => {
      const { server, browser } = suite;
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/listen/${mount}`);
      await waitForStatus(page, 'OFFLINE');
      source = startFfmpegSource({
        url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
        format,
        seconds: 30,
      });
      await waitForStatus(page, STARTED);
      await waitForPlaying(page, 15_000);
      await page
        .locator('#details', { hasText: `${name}, as the station sends it` })
        .waitFor({ timeout: 2_000 });
      const src = await page.evaluate(
        () => (document.querySelector('#player') as HTMLAudioElement).currentSrc,
      );
      assert.match(src, new RegExp(`/${mount}\\.${format}$`));
      await assertPlaying(page);
      await assertHears440(page, 2);
      source.stop();
      await waitForStatus(page, 'OFFLINE');
      await context.close();
    });
  });
}
