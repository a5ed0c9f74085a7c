/**
 * The listener on a phone-sized screen with touch, and a listener that stalls (its main thread
 * blocked for 3 s, as when a phone backgrounds the tab): it returns to the live edge by itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertHears440,
  assertPlaying,
  bufferedAhead,
  goLiveIn,
  STARTED,
  waitForPlaying,
  waitForStatus,
} from '../../tools/listener-page.js';
import { chromiumSuite } from '../../tools/suite.js';

/** After a stall the backlog beyond the learnt target is played off or dropped (src/listen/buffer-target.ts); some slack on top. */
const WITHIN_TARGET_S = 0.8;

describe('listener on a phone', () => {
  const suite = chromiumSuite({ autoplay: false });

  it('fits a phone screen, plays after a tap and hears 440 Hz', async () => {
    const phone = await suite.browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    });
    const host = await goLiveIn(
      await suite.browser.newContext(),
      suite.server.baseUrl,
      suite.server.streamKey,
    );
    const page = await phone.newPage();
    await page.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(page, STARTED);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow} px wider than the phone`);
    const tap = page.locator('#tap');
    const box = await tap.boundingBox();
    assert.ok(box && box.height >= 44 && box.width >= 44, 'the tap target is at least 44 × 44 px');
    await tap.tap();
    await waitForPlaying(page);
    await assertPlaying(page);
    await assertHears440(page, 2);
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    await phone.close();
  });
});

describe('listener that stalls', () => {
  const suite = chromiumSuite();

  it('catches up to the live edge after 3 s without its main thread', async () => {
    const context = await suite.browser.newContext();
    const host = await goLiveIn(context, suite.server.baseUrl, suite.server.streamKey);
    const page = await context.newPage();
    await page.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(page, STARTED);
    await waitForPlaying(page);
    await page.waitForTimeout(2_000);
    // Blocks the page for 3 s: no appends, no live-edge control; the audio runs dry, then 3 s arrive at once.
    await page.evaluate(() => {
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        // busy
      }
    });
    const behind = await bufferedAhead(page);
    let ahead = behind;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await page.waitForTimeout(250);
      ahead = await bufferedAhead(page);
      if (ahead < WITHIN_TARGET_S) break;
    }
    assert.ok(ahead < WITHIN_TARGET_S, `still ${ahead.toFixed(2)} s behind 10 s after the stall`);
    await assertPlaying(page);
    await assertHears440(page, 2);
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    await context.close();
  });
});

describe('listener without MediaSource', () => {
  const suite = chromiumSuite();

  it('falls back to a plain <audio> of the Ogg/Opus stream, says so, and hears 440 Hz', async () => {
    const context = await suite.browser.newContext();
    const host = await goLiveIn(context, suite.server.baseUrl, suite.server.streamKey);
    const page = await context.newPage();
    // No MediaSource of any kind, the plain element asked for: without `?player=progressive` this
    // Chromium's element would take the HLS playlist itself (listener-hls.test.ts).
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      delete w.MediaSource;
      delete w.ManagedMediaSource;
      delete w.WebKitMediaSource;
      delete w.AudioDecoder;
    });
    await page.goto(`${suite.server.baseUrl}/?player=progressive`);
    await waitForStatus(page, STARTED);
    await waitForPlaying(page, 15_000);
    await page.locator('#details', { hasText: 'Plain <audio> · Ogg/Opus' }).waitFor({ timeout: 2_000 });
    const src = await page.evaluate(() => (document.querySelector('#player') as HTMLAudioElement).currentSrc);
    assert.match(src, /\/live\.ogg$/);
    await assertPlaying(page);
    await assertHears440(page, 2);
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    await context.close();
  });
});
