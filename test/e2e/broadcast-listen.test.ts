/**
 * The heart of the product in real Chromium: a listener page opened first shows OFFLINE, the
 * broadcaster page (fake 440 Hz mic) goes live, listeners hear 440 Hz, Stop brings them back to OFFLINE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
import { chromiumSuite } from '../../tools/suite.js';

async function statusText(page: Page): Promise<string> {
  return ((await page.locator('#status').textContent()) ?? '').trim();
}

async function goLive(page: Page, key: string): Promise<void> {
  await page.fill('#key', key);
  await page.click('#golive');
}

const TRANSPORTS = [
  { name: 'streaming upload over HTTPS/HTTP2', secure: true, label: 'streaming upload (HTTP/2)' },
  { name: 'per-chunk upload over plain HTTP', secure: false, label: 'per-chunk upload' },
] as const;

for (const transport of TRANSPORTS) {
  describe(`live path in Chromium: ${transport.name}`, () => {
    let server: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    before(async () => {
      server = await startTestServer();
      browser = await launchChromium({ autoplay: true });
      context = await browser.newContext({ ignoreHTTPSErrors: true });
    });
    after(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
    });

    it('goes OFFLINE → started → playing 440 Hz → OFFLINE, for an early and a late listener', async () => {
      const base = transport.secure ? server.httpsUrl : server.baseUrl;
      const first = await context.newPage();
      await first.goto(`${base}/`);
      await waitForStatus(first, 'OFFLINE');

      const host = await context.newPage();
      await host.goto(`${base}/broadcast`);
      await goLive(host, server.streamKey);
      await waitForStatus(first, STARTED);
      await waitForPlaying(first);
      await host.locator('#transport', { hasText: transport.label }).waitFor({ timeout: 5_000 });
      // The server saw the transport the page claims: one HTTP/2 upload stream, or chunk posts only.
      const streams = server.logs.filter((l) => l.msg === 'upload stream opened');
      if (transport.secure)
        assert.deepEqual(
          streams.map((l) => l.http),
          ['2.0'],
        );
      else assert.equal(streams.length, 0);
      await assertPlaying(first);
      await assertHears440(first);

      await first.waitForTimeout(5_000);
      const second = await context.newPage();
      const joinedAt = Date.now();
      await second.goto(`${base}/listen/live`);
      await waitForStatus(second, STARTED);
      await second.waitForFunction(
        () => (document.querySelector('#player') as HTMLAudioElement).currentTime > 0,
        null,
        {
          timeout: 5_000,
        },
      );
      const joinMs = Date.now() - joinedAt;
      assert.ok(joinMs < 3_000, `late joiner playing after ${joinMs} ms`);
      await assertPlaying(second);
      await assertHears440(second);
      await assertPlaying(first);

      await host.click('#stop');
      await waitForStatus(first, 'OFFLINE');
      await waitForStatus(second, 'OFFLINE');
      assert.equal(await statusText(first), 'OFFLINE');

      // The next broadcast plays again by itself, without a reload.
      await host.click('#golive');
      await waitForStatus(first, STARTED);
      await waitForPlaying(first);
      await assertPlaying(first);
      await host.click('#stop');
      await waitForStatus(first, 'OFFLINE');
      await Promise.all([first.close(), second.close(), host.close()]);
    });
  });
}

describe('live path in Chromium: autoplay blocked', () => {
  const suite = chromiumSuite({ autoplay: false });

  it('shows "Tap to listen" instead of an error when the stream starts, and plays after the tap', async () => {
    const context = await suite.browser.newContext();
    const listener = await context.newPage();
    await listener.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(listener, 'OFFLINE');
    const host = await context.newPage();
    await host.goto(`${suite.server.baseUrl}/broadcast`);
    await goLive(host, suite.server.streamKey);
    // No gesture on the listener page: the browser refuses to play and the page asks for a tap.
    // (Only locators read the page here: page.evaluate would count as a gesture.)
    await waitForStatus(listener, STARTED);
    await listener.locator('#note', { hasText: 'needs a tap' }).waitFor({ timeout: 10_000 });
    const tap = listener.locator('#tap', { hasText: 'Tap to listen' });
    await tap.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await listener.locator('[role=alert]:not(:empty)').count(), 0, 'no error is shown');
    await tap.click();
    await waitForPlaying(listener);
    await assertPlaying(listener);
    await assertHears440(listener);
    await host.click('#stop');
    await waitForStatus(listener, 'OFFLINE');
    await context.close();
  });

  it('plays by itself when the stream starts after a tap while OFFLINE', async () => {
    const context = await suite.browser.newContext();
    const listener = await context.newPage();
    await listener.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(listener, 'OFFLINE');
    await listener.locator('#tap', { hasText: 'Tap to listen' }).click();
    await listener.locator('#note', { hasText: 'starts playing by itself' }).waitFor({ timeout: 5_000 });
    const host = await context.newPage();
    await host.goto(`${suite.server.baseUrl}/broadcast`);
    await goLive(host, suite.server.streamKey);
    await waitForStatus(listener, STARTED);
    await waitForPlaying(listener);
    await assertPlaying(listener);
    await assertHears440(listener);
    await host.click('#stop');
    await waitForStatus(listener, 'OFFLINE');
    await context.close();
  });
});

describe('live path in Chromium: an Icecast source tool feeds the mount', () => {
  const suite = chromiumSuite();

  for (const format of ['ogg', 'webm'] as const) {
    it(`plays an ffmpeg ${format === 'ogg' ? 'Ogg' : 'WebM'}/Opus source in the listener page`, async () => {
      const mount = `radio-${format}`;
      const page = await suite.browser.newPage();
      await page.goto(`${suite.server.baseUrl}/listen/${mount}`);
      await waitForStatus(page, 'OFFLINE');
      const src = startFfmpegSource({
        url: `icecast://source:${suite.server.streamKey}@127.0.0.1:${suite.server.server.httpPort}/${mount}`,
        format,
        seconds: 30,
      });
      try {
        await waitForStatus(page, STARTED);
        await waitForPlaying(page);
        // ffmpeg delivers in bursts: the player may rebuffer once or twice while its live-edge
        // target learns the delivery pattern (buffer-target.ts). Measure once that has settled.
        await page.waitForTimeout(3_000);
        await assertPlaying(page);
        await assertHears440(page);
        // An Icecast metadata update shows on the page at once.
        const song = `Now playing ${format}`;
        const auth = `Basic ${Buffer.from(`source:${suite.server.streamKey}`).toString('base64')}`;
        const res = await fetch(
          `${suite.server.baseUrl}/admin/metadata?mount=/${mount}&mode=updinfo&song=${encodeURIComponent(song)}`,
          { headers: { authorization: auth } },
        );
        assert.equal(res.status, 200);
        await page.locator('#title', { hasText: song }).waitFor({ timeout: 2_000 });
      } finally {
        src.stop();
      }
      await waitForStatus(page, 'OFFLINE');
      await page.close();
    });
  }
});
