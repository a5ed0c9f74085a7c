/**
 * No listener goes silent (issue 12), in real browsers with a real ffmpeg source sending a steady
 * 440 Hz tone: listener pages reach the server through the conditions proxy and the in-page silence
 * meter measures every silence of what they play. (The slow-phone and stuck-session cases are in
 * netcond-freeze.test.ts.)
 * - A source bursting once a second (ffmpeg's default muxer settings): no dropout after 5 s, on every
 *   rung Chromium has (low latency, MSE, plain `<audio>`, its own HLS).
 * - A 400 ms stall every 10 s for 60 s: never silent more than 1 s, both rungs at once.
 * - Firefox ESR behind the jitter keeps playing.
 * - A broadcaster page whose upload goes through 20–100 ms of jitter and a 400 ms stall every 10 s:
 *   the recording holds every packet the page's MediaRecorder made, once, and a listener hears no
 *   gap longer than the stall's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launchChromium, playwrightDriver } from '../../tools/chromium.js';
import { launchFirefox, puppeteerDriver } from '../../tools/firefox.js';
import {
  describeSilence,
  JITTER_20_100,
  type ListenRig,
  lastStall,
  listenerRecord,
  openMeteredListener,
  type Rung,
  silencesAfter,
  startListenRig,
} from '../../tools/listen-rig.js';
import { assertHears440, goLiveIn, PLAYING, STARTED, waitForStatus } from '../../tools/listener-page.js';
import {
  assertHearsTone,
  assertPlayheadAdvances,
  recordTextsInPage,
  silenceInPage,
  startSilenceMeter,
  waitForText,
} from '../../tools/page-audio.js';
import { startProxy } from '../../tools/proxy.js';
import { startTestServer } from '../../tools/server.js';
import { listenRigSuite } from '../../tools/suite.js';
import { assertRecordedAsSent, keepRecorderOutput } from '../helpers/recording.js';

describe('listener on a bursty source (one Ogg page a second)', () => {
  const suite = listenRigSuite({ burst: true, seconds: 120 });

  // Two pages at a time: four in one browser on this 2-core machine is the slow-phone test below.
  for (const rungs of [['lowlat', 'mse'] as const, ['progressive', 'hls'] as const]) {
    it(`has no dropout after the first 5 s (${rungs.join(', ')})`, async (t) => {
      const context = await suite.browser.newContext();
      const pages = new Map<Rung, Page>();
      for (const rung of rungs) pages.set(rung, await openMeteredListener(context, suite.rig, rung));
      await sleep(25_000);
      const dropouts: string[] = [];
      for (const [rung, page] of pages) {
        const { silence } = await listenerRecord(playwrightDriver(page));
        const after5 = silencesAfter(silence, 5_000);
        const player = page.locator('#player');
        const [target, underruns] = [
          await player.getAttribute('data-target-ms'),
          await player.getAttribute('data-underruns'),
        ];
        t.diagnostic(`${rung}: ${describeSilence(silence)}; target ${target} ms, underruns ${underruns}`);
        if (after5.dropouts > 0)
          dropouts.push(`${rung}: ${after5.dropouts} dropouts after 5 s (${after5.silentMs} ms)`);
        await assertPlayheadAdvances(playwrightDriver(page));
      }
      assert.deepEqual(dropouts, []);
      await context.close();
    });
  }
});

describe('listener behind a 400 ms stall every 10 s', () => {
  const suite = listenRigSuite({ proxy: { down: { stall: { everyMs: 10_000, forMs: 400 } } }, seconds: 120 });

  it('is never silent more than 1 s over 60 s, on both rungs at once', async (t) => {
    const context = await suite.browser.newContext();
    const pages = new Map<Rung, Page>();
    for (const rung of ['lowlat', 'mse'] as const)
      pages.set(rung, await openMeteredListener(context, suite.rig, rung));
    await sleep(60_000);
    for (const [rung, page] of pages) {
      const { silence, statuses } = await listenerRecord(playwrightDriver(page));
      t.diagnostic(`${rung}: ${describeSilence(silence)}; last stall: ${await lastStall(page)}`);
      assert.ok(silence.measuredMs >= 59_000, `${rung}: measured ${silence.measuredMs} ms`);
      assert.ok(silence.longestMs <= 1_000, `${rung}: silent ${silence.longestMs} ms at a stretch`);
      assert.ok(!statuses.includes('OFFLINE'), `${rung}: statuses ${statuses.join(' → ')}`);
      await assertHears440(page, 2);
    }
    await context.close();
  });
});

describe('Firefox ESR behind 20–100 ms of jitter', () => {
  let rig: ListenRig;
  before(async () => {
    rig = await startListenRig({ proxy: JITTER_20_100, seconds: 90 });
  });
  after(async () => {
    await rig?.close();
  });

  it('keeps playing', async (t) => {
    const firefox = await launchFirefox({ autoplay: true, mockAudioOutput: true });
    try {
      const page = await firefox.newPage();
      const tab = puppeteerDriver(page);
      await page.goto(`http://127.0.0.1:${rig.proxy.port}/listen/live`);
      await waitForText(tab, '#status', STARTED, 20_000);
      await waitForText(tab, '#note', PLAYING, 20_000);
      await startSilenceMeter(tab, { selector: '#player' });
      await tab.run(recordTextsInPage, '#note');
      await sleep(20_000);
      const { silence, notes } = await listenerRecord(tab);
      const after3 = silencesAfter(silence, 3_000);
      t.diagnostic(`${await firefox.version()}: ${describeSilence(silence)}; notes ${notes.join(' → ')}`);
      assert.equal(silence.ongoingMs, 0);
      assert.ok(after3.longestMs <= 1_000, `silent ${after3.longestMs} ms at a stretch`);
      await assertPlayheadAdvances(tab);
      await assertHearsTone(tab);
      assert.ok((await tab.run(silenceInPage, '#player')).measuredMs > 15_000);
    } finally {
      await firefox.close();
    }
  });
});

describe('broadcaster behind 20–100 ms of jitter and a 400 ms stall every 10 s', () => {
  it('loses no byte, and the listener hears no gap longer than the stall', async (t) => {
    const server = await startTestServer();
    const proxy = await startProxy({
      up: { jitterMs: [20, 100], stall: { everyMs: 10_000, forMs: 400 } },
      down: { jitterMs: [20, 100] },
    });
    proxy.setTarget(server.server.httpPort);
    const browser = await launchChromium({ autoplay: true });
    try {
      const context = await browser.newContext();
      await context.addInitScript(keepRecorderOutput);
      const listener = await context.newPage();
      await listener.goto(`${server.baseUrl}/`);
      await waitForStatus(listener, 'OFFLINE');
      // Plain HTTP through the proxy: the per-chunk upload, each chunk a POST that must come through.
      const wentLive = Date.now();
      const host = await goLiveIn(context, `http://127.0.0.1:${proxy.port}`, server.streamKey);
      await waitForStatus(listener, STARTED, 15_000);
      await listener.locator('#note', { hasText: PLAYING }).waitFor({ timeout: 15_000 });
      const tab = playwrightDriver(listener);
      await startSilenceMeter(tab, { selector: '#player' });
      await sleep(25_000);
      const { silence } = await listenerRecord(tab);
      const stoppedAt = Date.now();
      await host.click('#stop');
      await waitForStatus(listener, 'OFFLINE', 15_000);
      const after3 = silencesAfter(silence, 3_000);
      t.diagnostic(`listener: ${describeSilence(silence)}; proxy held at most ${proxy.maxQueuedBytes} bytes`);
      assert.ok(after3.longestMs <= 700, `the listener was silent ${after3.longestMs} ms at a stretch`);
      // OFFLINE: the broadcast ended, and with it the recording, which holds what the page recorded.
      const { packets, seconds: recorded, widestStepS } = await assertRecordedAsSent(server, host);
      t.diagnostic(
        `every one of ${packets} packets once; the recorder's own widest step ${widestStepS.toFixed(3)} s`,
      );
      const wall = (stoppedAt - wentLive) / 1000;
      t.diagnostic(`recorded ${recorded.toFixed(2)} s of a ${wall.toFixed(2)} s broadcast`);
      assert.ok(recorded > wall - 3, `recorded ${recorded.toFixed(2)} s of a ${wall.toFixed(2)} s broadcast`);
      await context.close();
    } finally {
      await browser.close();
      await proxy.close();
      await server.close();
    }
  });
});
