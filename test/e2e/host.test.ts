/**
 * The host page for teachers and organisers, in real Chromium with a fake 440 Hz microphone:
 * pre-flight checks, microphone picker and level meter, title, mute, QR code, channel picker, and the
 * embeddable player in another site's iframe.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, measurePeakHz } from '../../tools/chromium.js';
import { assertHears440, STARTED, waitForPlaying, waitForStatus } from '../../tools/listener-page.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';

async function checkResult(host: Page, id: string): Promise<string | null> {
  return host.locator(`#preflight [data-check="${id}"]`).getAttribute('data-result');
}

describe('host page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium({ autoplay: true });
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it('checks before going live: secure page, codec, server, and whether the key is right', async () => {
    const host = await context.newPage();
    await host.goto(`${server.baseUrl}/broadcast`);
    await host.locator('#preflight [data-check="server"][data-result="ok"]').waitFor({ timeout: 5_000 });
    assert.equal(await checkResult(host, 'secure'), 'ok');
    assert.equal(await checkResult(host, 'codec'), 'ok');
    assert.equal(await checkResult(host, 'key'), 'unknown');
    await host.fill('#key', 'not-the-key');
    await host.locator('#preflight [data-check="key"][data-result="fail"]').waitFor({ timeout: 5_000 });
    await host.fill('#key', server.streamKey);
    await host.locator('#preflight [data-check="key"][data-result="ok"]').waitFor({ timeout: 5_000 });
    await host.close();
  });

  it('lists the microphone and shows its level before and during the broadcast; title and mute reach listeners', async () => {
    const listener = await context.newPage();
    await listener.goto(`${server.baseUrl}/`);
    await waitForStatus(listener, 'OFFLINE');
    const host = await context.newPage();
    await host.goto(`${server.baseUrl}/broadcast`);
    await host.click('#test-mic');
    // The fake microphone's 440 Hz tone at half scale: about -6 dBFS, 0.9 on the meter.
    await host.waitForFunction(
      () => Number(document.querySelector('#level')?.getAttribute('data-level')) > 0.6,
      null,
      {
        timeout: 5_000,
      },
    );
    assert.ok((await host.locator('#mic option').count()) >= 2, 'the default entry and at least one device');
    await host.fill('#key', server.streamKey);
    await host.fill('#title', 'Year 9 assembly');
    await host.click('#golive');
    await waitForStatus(listener, STARTED);
    await waitForPlaying(listener);
    await listener.locator('#title', { hasText: 'Year 9 assembly' }).waitFor({ timeout: 5_000 });
    await host.waitForFunction(
      () => Number(document.querySelector('#level')?.getAttribute('data-level')) > 0.6,
      null,
      {
        timeout: 5_000,
      },
    );
    await assertHears440(listener, 2);

    await host.fill('#title', 'Questions from the room');
    await host.click('#set-title');
    await listener.locator('#title', { hasText: 'Questions from the room' }).waitFor({ timeout: 5_000 });
    // The lock screen and notification show the same title, the station and artwork (set by an effect
    // after the page shows the title: wait for it).
    await listener.waitForFunction(
      () => navigator.mediaSession.metadata?.title === 'Questions from the room',
      null,
      { timeout: 5_000 },
    );
    const meta = await listener.evaluate(() => {
      const m = navigator.mediaSession.metadata;
      return m ? { title: m.title, artist: m.artist, art: m.artwork.map((a) => a.src) } : null;
    });
    assert.deepEqual(meta, {
      title: 'Questions from the room',
      artist: 'onair · live',
      art: [`${server.baseUrl}/icon.svg`],
    });
    const icon = await fetch(`${server.baseUrl}/icon.svg`);
    assert.equal(icon.status, 200);
    await icon.arrayBuffer();

    await host.click('#mute');
    await host.locator('#muted-note').waitFor({ timeout: 2_000 });
    // What was already buffered plays out first.
    await listener.waitForTimeout(1_500);
    const muted = await measurePeakHz(listener, '#player', 1_500);
    assert.ok(muted.peakDb < -70, `muted: listeners hear silence (peak ${muted.peakDb.toFixed(1)} dB)`);
    await host.click('#mute');
    await listener.waitForTimeout(1_000);
    await assertHears440(listener, 2);

    await host.click('#stop');
    await waitForStatus(listener, 'OFFLINE');
    await Promise.all([host.close(), listener.close()]);
  });

  it('shows a QR code of the listener link, full screen on demand', async () => {
    const host = await context.newPage();
    await host.setViewportSize({ width: 1280, height: 800 });
    await host.goto(`${server.baseUrl}/broadcast`);
    const link = await host.locator('#listen-url').getAttribute('href');
    // Bound to 127.0.0.1, the server has no LAN address: the link is this page's own origin.
    assert.equal(link, `${server.baseUrl}/`);
    assert.equal(await host.locator('#qr').getAttribute('data-text'), link);
    const small = await host.locator('#qr').boundingBox();
    assert.ok(small && small.width >= 150, 'a QR code a phone can scan from the screen');
    await host.click('#qr-full');
    const big = await host.locator('#qr-dialog .qr__big').boundingBox();
    assert.ok(big && big.height >= 500, `full screen QR is ${big?.height} px tall on a 800 px screen`);
    await host.close();
  });

  it('broadcasts to another channel picked on the page; its listeners hear it, the default stays OFFLINE', async () => {
    const host = await context.newPage();
    await host.goto(`${server.baseUrl}/broadcast`);
    await host.fill('#mount-name', 'music');
    await host.click('#mount-use');
    await host.waitForURL(/\/broadcast\?mount=music$/);
    assert.equal(await host.locator('#listen-url').getAttribute('href'), `${server.baseUrl}/listen/music`);
    const music = await context.newPage();
    await music.goto(`${server.baseUrl}/listen/music`);
    const other = await context.newPage();
    await other.goto(`${server.baseUrl}/`);
    await host.fill('#key', server.streamKey);
    await host.click('#golive');
    await waitForStatus(music, STARTED);
    await waitForPlaying(music);
    await assertHears440(music, 2);
    assert.equal((await other.locator('#status').textContent())?.trim(), 'OFFLINE');

    // The embed snippet works on another site: a page on another origin frames /embed/music.
    const snippet = (await host.locator('#embed-snippet').inputValue()).trim();
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\/music"/);
    const site = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>School news</title><h1>School news</h1>${snippet}`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    try {
      const page = await context.newPage();
      await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
      const frame = page.frameLocator('iframe');
      await waitForStatus(frame, STARTED);
      await waitForPlaying(frame);
      await page.close();
    } finally {
      site.close();
    }
    await host.click('#stop');
    await waitForStatus(music, 'OFFLINE');
    await Promise.all([host.close(), music.close(), other.close()]);
  });
});
