/**
 * No listener goes silent (issue 12), in real browsers with a real ffmpeg source sending a steady
 * 440 Hz tone: listener pages reach the server through the conditions proxy and the in-page silence
 * meter measures every silence of what they play.
 * - A source bursting once a second (ffmpeg's default muxer settings): no dropout after 5 s, on every
 *   rung Chromium has (low latency, MSE, plain `<audio>`, its own HLS).
 * - A 400 ms stall every 10 s for 60 s: never silent more than 1 s, both rungs at once.
 * - Four listener pages in one browser (a stand-in for a slow phone) behind 20–100 ms of jitter, five
 *   times over: every page keeps playing.
 * - A session forced stuck (its appends, or its decodes, stop landing): detected and recovered within
 *   3 s, the page saying so instead of "Playing live.".
 * - Firefox ESR behind the jitter keeps playing.
 * - A broadcaster page whose upload goes through 20–100 ms of jitter and a 400 ms stall every 10 s:
 *   the recording holds every packet the page's MediaRecorder made, once, and a listener hears no
 *   gap longer than the stall's.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, playwrightDriver } from '../../tools/chromium.js';
import { launchFirefox, puppeteerDriver } from '../../tools/firefox.js';
import {
  type ListenRig,
  listenerRecord,
  openMeteredListener,
  type Rung,
  silencesAfter,
  startListenRig,
} from '../../tools/listen-rig.js';
import { assertHears440, goLiveIn, waitForStatus } from '../../tools/listener-page.js';
import {
  assertHearsTone,
  assertPlayheadAdvances,
  recordTextsInPage,
  type SilenceReport,
  silenceInPage,
  startSilenceMeter,
  waitForText,
} from '../../tools/page-audio.js';
import { startProxy } from '../../tools/proxy.js';
import { startTestServer } from '../../tools/server.js';
import {
  assertSamePackets,
  keepRecorderOutput,
  onlyRecording,
  packetTimes,
  pageRecorderPackets,
  secondsOf,
} from '../helpers/recording.js';

const STARTED = 'The stream is started';
const PLAYING = 'Playing live.';
const JITTER = { down: { jitterMs: [20, 100] as const } };

function describeSilence(r: SilenceReport): string {
  return (
    `${r.dropouts} silences, ${r.silentMs} ms in all, longest ${r.longestMs} ms over ${r.measuredMs} ms` +
    ` (first sound at ${r.firstSoundMs} ms; unmeasured ${r.unmeasuredMs} ms); gaps ${JSON.stringify(r.gaps.slice(-12))}`
  );
}

async function lastStall(page: Page): Promise<string | null> {
  return page.locator('#player').getAttribute('data-last-stall');
}

describe('listener on a bursty source (one Ogg page a second)', () => {
  let rig: ListenRig;
  let browser: Browser;
  before(async () => {
    rig = await startListenRig({ burst: true, seconds: 120 });
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });

  // Two pages at a time: four in one browser on this 2-core machine is the slow-phone test below.
  for (const rungs of [['lowlat', 'mse'] as const, ['progressive', 'hls'] as const]) {
    it(`has no dropout after the first 5 s (${rungs.join(', ')})`, async (t) => {
      const context = await browser.newContext();
      const pages = new Map<Rung, Page>();
      for (const rung of rungs) pages.set(rung, await openMeteredListener(context, rig, rung));
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
  let rig: ListenRig;
  let browser: Browser;
  before(async () => {
    rig = await startListenRig({ proxy: { down: { stall: { everyMs: 10_000, forMs: 400 } } }, seconds: 120 });
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('is never silent more than 1 s over 60 s, on both rungs at once', async (t) => {
    const context = await browser.newContext();
    const pages = new Map<Rung, Page>();
    for (const rung of ['lowlat', 'mse'] as const)
      pages.set(rung, await openMeteredListener(context, rig, rung));
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

describe('four listener pages in one browser behind 20–100 ms of jitter', () => {
  let rig: ListenRig;
  let browser: Browser;
  before(async () => {
    rig = await startListenRig({ proxy: JITTER, seconds: 240 });
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });

  const RUNS: Rung[] = ['mse', 'lowlat', 'mse', 'lowlat', 'mse'];
  for (const [i, rung] of RUNS.entries()) {
    it(`all keep playing (${rung}, run ${i + 1} of ${RUNS.length})`, async (t) => {
      const context: BrowserContext = await browser.newContext();
      const pages: Page[] = [];
      for (let n = 0; n < 4; n++) pages.push(await openMeteredListener(context, rig, rung));
      await sleep(12_000);
      for (const [n, page] of pages.entries()) {
        const tab = playwrightDriver(page);
        const { silence, notes } = await listenerRecord(tab);
        const after3 = silencesAfter(silence, 3_000);
        t.diagnostic(`page ${n + 1}: ${describeSilence(silence)}; notes ${notes.join(' → ')}`);
        assert.equal(silence.ongoingMs, 0, `page ${n + 1} is silent now (${silence.ongoingMs} ms)`);
        assert.ok(after3.longestMs <= 1_000, `page ${n + 1}: silent ${after3.longestMs} ms at a stretch`);
        assert.equal(notes[notes.length - 1], PLAYING);
        assert.equal(await lastStall(page), null, `page ${n + 1} was restarted by its watchdog`);
        await assertPlayheadAdvances(tab, '#player', 1_000);
      }
      await context.close();
    });
  }
});

/** In the page: the next SourceBuffer to append (the current session's) swallows its appends from now on. */
function freezeAppends(): void {
  const proto = SourceBuffer.prototype;
  const append = proto.appendBuffer;
  let victim: SourceBuffer | null = null;
  proto.appendBuffer = function (this: SourceBuffer, data: BufferSource) {
    victim ??= this;
    if (this === victim) return;
    append.call(this, data);
  };
}

/** In the page: the next AudioDecoder to decode (the current session's) drops every packet from now on. */
function freezeDecodes(): void {
  const proto = AudioDecoder.prototype;
  const decode = proto.decode;
  let victim: AudioDecoder | null = null;
  proto.decode = function (this: AudioDecoder, chunk: EncodedAudioChunk) {
    victim ??= this;
    if (this === victim) return;
    decode.call(this, chunk);
  };
}

describe('a listener session forced stuck', () => {
  let rig: ListenRig;
  let browser: Browser;
  before(async () => {
    rig = await startListenRig({ seconds: 120 });
    browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });

  for (const { rung, freeze } of [
    { rung: 'mse' as const, freeze: freezeAppends },
    { rung: 'lowlat' as const, freeze: freezeDecodes },
  ]) {
    it(`is detected and recovered within 3 s, the page saying so (${rung})`, async (t) => {
      const context = await browser.newContext();
      const page = await openMeteredListener(context, rig, rung);
      const tab = playwrightDriver(page);
      await sleep(2_000);
      await page.evaluate(freeze);
      const frozeAt = Date.now();
      // The page stops claiming to play, and plays again by itself.
      await page.locator('#note', { hasText: /Catching up…|Reconnecting…/ }).waitFor({ timeout: 3_000 });
      await page.locator('#note', { hasText: PLAYING }).waitFor({ timeout: 5_000 });
      const recoveredMs = Date.now() - frozeAt;
      await sleep(2_000);
      const { silence, notes } = await listenerRecord(tab);
      t.diagnostic(
        `${rung}: playing again ${recoveredMs} ms after the freeze; ${describeSilence(silence)}; ` +
          `notes ${notes.join(' → ')}; watchdog: ${await lastStall(page)}`,
      );
      assert.ok(silence.longestMs <= 3_000, `silent ${silence.longestMs} ms`);
      assert.equal(silence.ongoingMs, 0);
      assert.match((await lastStall(page)) ?? '', /no progress/);
      await assertPlayheadAdvances(tab, '#player', 1_000);
      await assertHears440(page, 2);
      await context.close();
    });
  }
});

describe('Firefox ESR behind 20–100 ms of jitter', () => {
  let rig: ListenRig;
  before(async () => {
    rig = await startListenRig({ proxy: JITTER, seconds: 90 });
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
      const recording = await onlyRecording(server);
      const packets = packetTimes(recording);
      const widest = assertSamePackets(
        await pageRecorderPackets(host, join(server.dataDir, 'sent.webm')),
        packets,
      );
      t.diagnostic(
        `every one of ${packets.length} packets once; the recorder's own widest step ${widest.toFixed(3)} s`,
      );
      const recorded = secondsOf(packets);
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
