/** What a person checks on the listener page, in Chromium: the badge text, playing, and the 440 Hz tone. */
import assert from 'node:assert/strict';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { measurePeakHz } from './chromium.js';

/** The little of the page's DOM these checks read (this module is compiled without the DOM library). */
interface PlayerGlobals {
  document: {
    querySelector(s: string): {
      currentTime: number;
      paused: boolean;
      buffered: { length: number; end(i: number): number };
      dataset: Record<string, string | undefined>;
    };
  };
}

export const STARTED = 'The stream is started';
/** The note while audio plays. */
export const PLAYING = 'Playing live.';

/** Waits until #status reads exactly `text`. */
export async function waitForStatus(
  page: Page | FrameLocator,
  text: string,
  timeoutMs = 10_000,
): Promise<void> {
  await page.locator('#status', { hasText: new RegExp(`^\\s*${text}\\s*$`) }).waitFor({ timeout: timeoutMs });
}

/** Waits until the page says it is playing (its own 'playing' state, not just "started"). */
export async function waitForPlaying(page: Page | FrameLocator, timeoutMs = 10_000): Promise<void> {
  await page.locator('#note', { hasText: PLAYING }).waitFor({ timeout: timeoutMs });
}

/** currentTime of #player advances about in real time over 1 s, and the element is not paused. */
export async function assertPlaying(page: Page): Promise<void> {
  const read = (): Promise<{ t: number; paused: boolean }> =>
    page.evaluate(() => {
      const a = (globalThis as unknown as PlayerGlobals).document.querySelector('#player');
      return { t: a.currentTime, paused: a.paused };
    });
  const a = await read();
  await page.waitForTimeout(1_000);
  const b = await read();
  assert.equal(b.paused, false, 'audio element is not paused');
  const advanced = b.t - a.t;
  assert.ok(advanced > 0.7 && advanced < 1.5, `currentTime advanced ${advanced.toFixed(3)} s in 1 s`);
}

/** The peak of #player's audio is at 440 Hz and audible; up to `tries` windows of 1.5 s. */
export async function assertHears440(page: Page, tries = 1): Promise<void> {
  let peak = { peakHz: 0, peakDb: Number.NEGATIVE_INFINITY };
  for (let i = 0; i < tries; i++) {
    peak = await measurePeakHz(page, '#player', 1_500);
    if (Math.abs(peak.peakHz - 440) < 25 && peak.peakDb > -60) return;
  }
  assert.fail(`peak at ${peak.peakHz.toFixed(1)} Hz, ${peak.peakDb.toFixed(1)} dB`);
}

/**
 * Seconds of audio buffered ahead of the playhead of #player (the player's share of the delay):
 * the MSE buffer, or the low-latency player's jitter buffer (`data-buffer-ms`).
 */
export function bufferedAhead(page: Page): Promise<number> {
  return page.evaluate(() => {
    const a = (globalThis as unknown as PlayerGlobals).document.querySelector('#player');
    if (a.dataset.bufferMs !== undefined) return Number(a.dataset.bufferMs) / 1000;
    return a.buffered.length ? a.buffered.end(a.buffered.length - 1) - a.currentTime : 0;
  });
}

/** Opens the broadcaster page (`path`, e.g. `/broadcast?timeslice=20`) in `context` and goes live. */
export async function goLiveIn(
  context: BrowserContext,
  baseUrl: string,
  streamKey: string,
  path = '/broadcast',
): Promise<Page> {
  const host = await context.newPage();
  await host.goto(`${baseUrl}${path}`);
  await host.fill('#key', streamKey);
  await host.click('#golive');
  return host;
}
