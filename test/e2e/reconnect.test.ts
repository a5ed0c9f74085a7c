/**
 * Nothing lost in real Chromium: the broadcaster's connections break mid-broadcast (a TCP proxy
 * destroys them and refuses new ones for 1.5 s, as a Wi-Fi blip would), for both upload
 * transports. The listener never shows OFFLINE and plays 440 Hz after the gap; the recording holds
 * every Opus packet the page's MediaRecorder made, once, in order, and lasts as long as the
 * broadcast did. Then the listener's own
 * connections break, and it comes back by itself without a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, measurePeakHz } from '../../tools/chromium.js';
import { bufferedAhead } from '../../tools/listener-page.js';
import type { CutProxy } from '../../tools/proxy.js';
import { startCutProxy } from '../../tools/proxy.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { assertRecordedAsSent, keepRecorderOutput } from '../helpers/recording.js';

const STARTED = 'The stream is started';
const BLIP_MS = 1_500;

async function waitForStatus(page: Page, text: string, timeoutMs = 10_000): Promise<void> {
  await page.locator('#status', { hasText: new RegExp(`^\\s*${text}\\s*$`) }).waitFor({ timeout: timeoutMs });
}

/** Records every text #status shows from now on (window.statusLog). */
async function logStatusTexts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const el = document.querySelector('#status') as HTMLElement;
    const log: string[] = [el.textContent ?? ''];
    (window as unknown as { statusLog: string[] }).statusLog = log;
    new MutationObserver(() => log.push(el.textContent ?? '')).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}

async function statusTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { statusLog: string[] }).statusLog);
}

/** currentTime advances about in real time over 1 s, and the audio's peak is at 440 Hz. */
async function assertPlaying440(page: Page): Promise<void> {
  const t = (): Promise<number> =>
    page.evaluate(() => (document.querySelector('#player') as HTMLAudioElement).currentTime);
  const a = await t();
  await page.waitForTimeout(1_000);
  const advanced = (await t()) - a;
  assert.ok(advanced > 0.7 && advanced < 1.5, `currentTime advanced ${advanced.toFixed(3)} s in 1 s`);
  // A window that overlaps the player's skip to the live edge can be quiet: up to three windows.
  let peak = { peakHz: 0, peakDb: -Infinity };
  for (let i = 0; i < 3; i++) {
    peak = await measurePeakHz(page, '#player', 1_500);
    if (Math.abs(peak.peakHz - 440) < 25 && peak.peakDb > -60) return;
  }
  assert.fail(`peak at ${peak.peakHz.toFixed(1)} Hz, ${peak.peakDb.toFixed(1)} dB`);
}

const TRANSPORTS = [
  { name: 'streaming upload over HTTPS/HTTP2', secure: true },
  { name: 'per-chunk upload over plain HTTP', secure: false },
] as const;

for (const transport of TRANSPORTS) {
  describe(`reconnects in Chromium: ${transport.name}`, () => {
    let server: TestServer;
    let proxy: CutProxy;
    let browser: Browser;
    let context: BrowserContext;
    before(async () => {
      proxy = await startCutProxy();
      server = await startTestServer();
      proxy.setTarget(transport.secure ? Number(new URL(server.httpsUrl).port) : server.server.httpPort);
      browser = await launchChromium({ autoplay: true });
      context = await browser.newContext({ ignoreHTTPSErrors: true });
      await context.addInitScript(keepRecorderOutput);
    });
    after(async () => {
      await context?.close();
      await browser?.close();
      await proxy?.close();
      await server?.close();
    });

    it('keeps the listener LIVE and playing through a broken upload, and records every packet once', async () => {
      const listener = await context.newPage();
      await listener.goto(`${server.baseUrl}/`);
      await waitForStatus(listener, 'OFFLINE');
      await logStatusTexts(listener);

      const host = await context.newPage();
      const scheme = transport.secure ? 'https' : 'http';
      await host.goto(`${scheme}://127.0.0.1:${proxy.port}/broadcast`);
      await host.fill('#key', server.streamKey);
      const wentLive = Date.now();
      await host.click('#golive');
      await waitForStatus(listener, STARTED);
      await listener.locator('#note', { hasText: 'Playing live.' }).waitFor({ timeout: 10_000 });
      if (transport.secure) {
        await host
          .locator('#transport', { hasText: 'streaming upload (HTTP/2)' })
          .waitFor({ timeout: 5_000 });
      }
      await listener.waitForTimeout(2_000);

      // The blip: every connection of the broadcaster page breaks; for 1.5 s none gets through.
      const before = proxy.accepted;
      proxy.cut(BLIP_MS);
      await host.locator('#upload-note', { hasText: /reconnecting/i }).waitFor({ timeout: 5_000 });
      await host.locator('#state', { hasText: 'Live' }).waitFor({ timeout: 1_000 });
      // Caught up: nothing left waiting to be sent, over new connections.
      await host.waitForFunction(
        () => document.querySelector('#queued-bytes')?.textContent?.trim().startsWith('0'),
        null,
        { timeout: 15_000 },
      );
      assert.ok(proxy.accepted > before, 'the page opened new connections');
      await host.waitForFunction(
        () => !/reconnecting/i.test(document.querySelector('#upload-note')?.textContent ?? ''),
        null,
        {
          timeout: 5_000,
        },
      );
      assert.equal(
        (await host.locator('#error').textContent())?.trim(),
        '',
        'no error on the broadcaster page',
      );

      // The held-back audio arrives at once; the player skips to the live edge, then plays on.
      await listener.waitForTimeout(1_500);
      await assertPlaying440(listener);
      await listener.waitForTimeout(1_000);
      const stoppedAt = Date.now();
      await host.click('#stop');
      await waitForStatus(listener, 'OFFLINE');
      const texts = await statusTexts(listener);
      const firstOffline = texts.indexOf('OFFLINE', 1);
      assert.ok(
        texts.slice(1, firstOffline).every((s) => s !== 'OFFLINE') && firstOffline === texts.length - 1,
        `the listener showed OFFLINE only at the end: ${texts.join(' → ')}`,
      );

      // The recording: every packet the page recorded, once, in order; as long as the broadcast was.
      const { seconds: recorded } = await assertRecordedAsSent(server, host);
      const wall = (stoppedAt - wentLive) / 1000;
      assert.ok(
        recorded > wall - 1.2 && recorded < wall + 0.3,
        `recorded ${recorded.toFixed(2)} s of a ${wall.toFixed(2)} s broadcast`,
      );
      await Promise.all([listener.close(), host.close()]);
    });
  });
}

describe('reconnects in Chromium: the listener', () => {
  let server: TestServer;
  let proxy: CutProxy;
  let browser: Browser;
  before(async () => {
    proxy = await startCutProxy();
    server = await startTestServer();
    proxy.setTarget(server.server.httpPort);
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
  });

  it('comes back by itself at the live edge when its stream and status socket drop', async () => {
    const context = await browser.newContext();
    const host = await context.newPage();
    await host.goto(`${server.baseUrl}/broadcast`);
    await host.fill('#key', server.streamKey);
    await host.click('#golive');
    const listener = await context.newPage();
    await listener.goto(`http://127.0.0.1:${proxy.port}/`);
    await waitForStatus(listener, STARTED);
    await listener.locator('#note', { hasText: 'Playing live.' }).waitFor({ timeout: 10_000 });
    await logStatusTexts(listener);
    proxy.cut(BLIP_MS);
    await listener.locator('#note', { hasText: /reconnecting/i }).waitFor({ timeout: 5_000 });
    await listener.locator('#note', { hasText: 'Playing live.' }).waitFor({ timeout: 15_000 });
    await assertPlaying440(listener);
    // Back at the live edge: little audio buffered ahead, not the gap's worth.
    const ahead = await bufferedAhead(listener);
    assert.ok(ahead < 1, `${ahead.toFixed(2)} s buffered ahead after reconnecting`);
    assert.ok(!(await statusTexts(listener)).includes('OFFLINE'), 'never OFFLINE while the broadcast ran');
    await host.click('#stop');
    await waitForStatus(listener, 'OFFLINE');
    await context.close();
  });
});
