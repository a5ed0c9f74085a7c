/**
 * No listener stays silent (issue 12): the intermittent frozen session, in real Chromium with a real
 * ffmpeg source sending a steady 440 Hz tone, the in-page silence meter on every page.
 * - Four listener pages in one browser (a stand-in for a slow phone) behind 20–100 ms of jitter, five
 *   times over: every page keeps playing, and no watchdog had to restart one.
 * - A session forced stuck (its appends, or its decodes, stop landing): detected and recovered within
 *   3 s, the page saying so instead of "Playing live.".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { playwrightDriver } from '../../tools/chromium.js';
import {
  describeSilence,
  JITTER_20_100,
  lastStall,
  listenerRecord,
  openMeteredListener,
  type Rung,
  silencesAfter,
} from '../../tools/listen-rig.js';
import { assertHears440, PLAYING } from '../../tools/listener-page.js';
import { assertPlayheadAdvances } from '../../tools/page-audio.js';
import { listenRigSuite } from '../../tools/suite.js';

describe('four listener pages in one browser behind 20–100 ms of jitter', () => {
  const suite = listenRigSuite({ proxy: JITTER_20_100, seconds: 240 });

  const RUNS: Rung[] = ['mse', 'lowlat', 'mse', 'lowlat', 'mse'];
  for (const [i, rung] of RUNS.entries()) {
    it(`all keep playing (${rung}, run ${i + 1} of ${RUNS.length})`, async (t) => {
      const context: BrowserContext = await suite.browser.newContext();
      const pages: Page[] = [];
      for (let n = 0; n < 4; n++) pages.push(await openMeteredListener(context, suite.rig, rung));
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
  const suite = listenRigSuite({ seconds: 120 });

  for (const { rung, freeze } of [
    { rung: 'mse' as const, freeze: freezeAppends },
    { rung: 'lowlat' as const, freeze: freezeDecodes },
  ]) {
    it(`is detected and recovered within 3 s, the page saying so (${rung})`, async (t) => {
      const context = await suite.browser.newContext();
      const page = await openMeteredListener(context, suite.rig, rung);
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
