/**
 * The low-latency listener (WebCodecs AudioDecoder + jitter-buffer AudioWorklet) in real Chromium:
 * it is chosen by itself, hears the broadcaster's 440 Hz, and plays for 60 s with its buffer within
 * bounds; without AudioDecoder the page falls back to MSE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paths } from '../../src/shared/protocol.js';
import {
  assertHears440,
  assertPlaying,
  bufferedAhead,
  goLiveIn,
  STARTED,
  waitForPlaying,
  waitForStatus,
} from '../../tools/listener-page.js';
import type { TestServer } from '../../tools/server.js';
import { TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { chromiumSuite } from '../../tools/suite.js';
import { waitUntil } from '../../tools/wait.js';

/** Status WebSockets the server holds now (its `/metrics` gauge, as an operator reads it). */
async function statusSockets(server: TestServer): Promise<number> {
  const res = await fetch(`${server.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  const m = /^onair_status_connections (\d+)$/m.exec(await res.text());
  assert.ok(m, 'the gauge is there');
  return Number(m[1]);
}

/** Waits until the server holds `n` status sockets. */
function untilStatusSockets(server: TestServer, n: number, timeoutMs: number): Promise<void> {
  return waitUntil(
    `${n} status sockets open`,
    timeoutMs,
    async () => (await statusSockets(server)) === n,
    100,
  );
}

/**
 * A broadcaster chunk every 60 ms on loopback: the jitter buffer's trough settles near its margin
 * (30–60 ms), so the buffer stays well under this (bench/netcond: p90 ≈ 150 ms on loopback).
 */
const MAX_BUFFER_S = 0.7;

describe('low-latency listener in Chromium', () => {
  const suite = chromiumSuite();

  it('is chosen by itself, hears 440 Hz and plays 60 s with its buffer within bounds', async () => {
    const context = await suite.browser.newContext();
    const host = await goLiveIn(
      context,
      suite.server.baseUrl,
      suite.server.streamKey,
      '/broadcast?timeslice=20',
    );
    const page = await context.newPage();
    await page.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(page, STARTED);
    await waitForPlaying(page);
    await page.locator('#details', { hasText: 'Low latency · WebCodecs Opus' }).waitFor({ timeout: 2_000 });
    await assertHears440(page, 2);
    const buffers: number[] = [];
    const startedAt = Date.now();
    while (Date.now() - startedAt < 60_000) {
      await page.waitForTimeout(1_000);
      buffers.push(await bufferedAhead(page));
    }
    const max = Math.max(...buffers);
    assert.ok(max < MAX_BUFFER_S, `buffer peaked at ${(max * 1000).toFixed(0)} ms`);
    const lastTen = buffers.slice(-10);
    assert.ok(
      lastTen.every((b) => b < MAX_BUFFER_S),
      `no growth: last 10 s ${lastTen.map((b) => (b * 1000).toFixed(0)).join(' ')} ms`,
    );
    await assertPlaying(page);
    await assertHears440(page, 2);
    const underruns = Number(await page.locator('#player').getAttribute('data-underruns'));
    console.log(`low latency, 60 s: buffer max ${(max * 1000).toFixed(0)} ms, underruns ${underruns}`);
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    await context.close();
  });

  it('plays on one connection: its stream carries the status, the status socket closes and comes back at the end', async () => {
    const context = await suite.browser.newContext();
    const host = await goLiveIn(
      context,
      suite.server.baseUrl,
      suite.server.streamKey,
      '/broadcast?mount=one',
    );
    // The host page keeps its own status socket all along.
    const hostSockets = await statusSockets(suite.server);
    const page = await context.newPage();
    await page.goto(`${suite.server.baseUrl}${paths.listenPage('one')}`);
    await waitForStatus(page, STARTED);
    await waitForPlaying(page);
    await assertHears440(page, 2);
    // Playing: the listener page holds its stream only.
    await untilStatusSockets(suite.server, hostSockets, 5_000);
    await page.locator('#details', { hasText: 'Low latency · WebCodecs Opus' }).waitFor({ timeout: 2_000 });
    // A title set by the host reaches the page through the stream.
    await host.fill('#title', 'Lesson four');
    await host.click('#set-title');
    await page.locator('#title', { hasText: 'Lesson four' }).waitFor({ timeout: 5_000 });
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    // The stream said OFFLINE as it ended; the socket comes back to wait for the next broadcast.
    await untilStatusSockets(suite.server, hostSockets + 1, 10_000);
    await context.close();
  });

  it('falls back to MSE when AudioDecoder is absent', async () => {
    const context = await suite.browser.newContext();
    const host = await goLiveIn(context, suite.server.baseUrl, suite.server.streamKey);
    const page = await context.newPage();
    await page.addInitScript(() => {
      delete (window as unknown as Record<string, unknown>).AudioDecoder;
    });
    await page.goto(`${suite.server.baseUrl}/`);
    await waitForStatus(page, STARTED);
    await waitForPlaying(page);
    await page.locator('#details', { hasText: 'MSE · WebM/Opus' }).waitFor({ timeout: 2_000 });
    const src = await page.evaluate(() => (document.querySelector('#player') as HTMLAudioElement).src);
    assert.match(src, /^blob:/, 'MediaSource attached');
    await assertPlaying(page);
    await assertHears440(page, 2);
    await host.click('#stop');
    await waitForStatus(page, 'OFFLINE');
    await context.close();
  });
});
