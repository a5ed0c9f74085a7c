/**
 * Listen-again in Chromium: a short ffmpeg broadcast ends; the listener page (OFFLINE) links to the
 * listen-again page, which lists the broadcast with its title and length; its player plays the
 * recording, and a seek to the middle lands there and plays the tone from there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paths } from '../../src/shared/protocol.js';
import { measurePeakHz } from '../../tools/chromium.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import { STARTED, waitForStatus } from '../../tools/listener-page.js';
import { chromiumSuite } from '../../tools/suite.js';

/** The little of the page's DOM these checks read (this module is compiled without the DOM library). */
interface PlayerGlobals {
  document: { querySelector(s: string): { currentTime: number; duration: number; paused: boolean } };
}

const BROADCAST_S = 6;

describe('listen-again in Chromium', () => {
  const suite = chromiumSuite({ config: { listenAgain: true } });

  it('lists a finished broadcast with its length, plays it, and a seek to the middle lands there with the tone', async () => {
    const mount = 'again';
    const page = await suite.browser.newPage();
    try {
      await page.goto(`${suite.server.baseUrl}${paths.listenPage(mount)}`);
      await waitForStatus(page, 'OFFLINE');
      const src = startFfmpegSource({
        url: `icecast://source:${suite.server.streamKey}@127.0.0.1:${suite.server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: BROADCAST_S,
      });
      try {
        await waitForStatus(page, STARTED);
        const auth = `Basic ${Buffer.from(`source:${suite.server.streamKey}`).toString('base64')}`;
        const meta = await fetch(
          `${suite.server.baseUrl}/admin/metadata?mount=/${mount}&mode=updinfo&song=${encodeURIComponent('Field trip briefing')}`,
          { headers: { authorization: auth }, signal: AbortSignal.timeout(5_000) },
        );
        assert.equal(meta.status, 200);
        assert.equal(await src.exited, 0, src.stderr());
      } finally {
        src.stop();
      }
      // OFFLINE again: the listener page links to the recording once it is finalised.
      await waitForStatus(page, 'OFFLINE', 15_000);
      const link = page.locator('#again');
      await link.waitFor({ timeout: 10_000 });
      assert.match((await link.textContent()) ?? '', /1 past broadcast/);
      await link.click();
      await page.waitForURL(`**${paths.listenAgainPage(mount)}`, { timeout: 10_000 });

      const item = page.locator('#recordings .again__play').first();
      await item.waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#recordings .again__play').count(), 1);
      assert.equal(await item.locator('.again__title').textContent(), 'Field trip briefing');
      assert.equal(await item.locator('.again__length').textContent(), `0:0${BROADCAST_S}`);

      await item.click();
      const read = () =>
        page.evaluate(() => {
          const a = (globalThis as unknown as PlayerGlobals).document.querySelector('#player');
          return { t: a.currentTime, duration: a.duration, paused: a.paused };
        });
      await page.waitForFunction(
        () => (globalThis as unknown as PlayerGlobals).document.querySelector('#player').currentTime > 0.3,
        undefined,
        { timeout: 10_000 },
      );
      const start = await read();
      assert.ok(
        Math.abs(start.duration - BROADCAST_S) < 0.1,
        `duration ${start.duration} s before the end is read`,
      );

      // Seek to the middle: currentTime moves there (not back to 0), plays on from there, and it is the tone.
      const middle = BROADCAST_S / 2;
      await page.evaluate((to) => {
        (globalThis as unknown as PlayerGlobals).document.querySelector('#player').currentTime = to;
      }, middle);
      await page.waitForFunction(
        (to) => {
          const a = (globalThis as unknown as PlayerGlobals).document.querySelector('#player');
          return a.currentTime > to + 0.2 && !a.paused;
        },
        middle,
        { timeout: 10_000 },
      );
      const landed = await read();
      assert.ok(
        landed.t > middle && landed.t < middle + 1.5,
        `currentTime ${landed.t} s after seeking to ${middle} s`,
      );
      const peak = await measurePeakHz(page, '#player', 1_500);
      assert.ok(
        Math.abs(peak.peakHz - 440) < 25 && peak.peakDb > -60,
        `peak ${peak.peakHz} Hz, ${peak.peakDb} dB`,
      );
      const after = await read();
      assert.ok(
        after.t > landed.t + 1 && after.t <= BROADCAST_S + 0.05,
        `currentTime ${after.t} s after measuring`,
      );
    } finally {
      await page.close();
    }
  });
});
