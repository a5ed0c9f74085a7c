/**
 * A peer's real HLS client on our HLS output: hls.js (npm; a test client only, never served to
 * listeners) in Debian's Chromium, in low-latency mode, plays `/<mount>.m3u8` from an ffmpeg
 * broadcast and hears 440 Hz. Its live latency is printed as a diagnostic (figures: bench/, README).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measurePeakHz } from '../../tools/chromium.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import type { HlsPageGlobals } from '../../tools/hlsjs.js';
import { hlsJsLatency, openHlsJs, waitForHlsJsPlaying } from '../../tools/hlsjs.js';
import { chromiumSuite } from '../../tools/suite.js';

describe('hls.js plays the HLS output in Chromium', () => {
  const suite = chromiumSuite();

  it('plays /<mount>.m3u8 in low-latency mode and hears 440 Hz', async (t) => {
    const mount = 'hlsjs';
    const src = startFfmpegSource({
      url: `icecast://source:${suite.server.streamKey}@127.0.0.1:${suite.server.server.httpPort}/${mount}`,
      format: 'ogg',
      seconds: 60,
    });
    const page = await suite.browser.newPage();
    try {
      await openHlsJs(page, suite.server.baseUrl, `${suite.server.baseUrl}/${mount}.m3u8`);
      await waitForHlsJsPlaying(page);
      const state = await page.evaluate(() => {
        const w = globalThis as unknown as HlsPageGlobals;
        return { errors: w.hlsErrors, lowLatency: w.hls?.lowLatencyMode };
      });
      assert.deepEqual(state.errors, [], 'no fatal hls.js error');
      assert.equal(state.lowLatency, true);
      let peak = { peakHz: 0, peakDb: Number.NEGATIVE_INFINITY };
      for (let i = 0; i < 3; i++) {
        peak = await measurePeakHz(page, '#player', 1_500);
        if (Math.abs(peak.peakHz - 440) < 25 && peak.peakDb > -60) break;
      }
      assert.ok(
        Math.abs(peak.peakHz - 440) < 25 && peak.peakDb > -60,
        `peak ${peak.peakHz} Hz ${peak.peakDb} dB`,
      );
      // Still playing a few seconds on: currentTime advances, no fatal error.
      const a = await page.evaluate(
        () => (globalThis as unknown as HlsPageGlobals).document.querySelector('#player').currentTime,
      );
      await page.waitForFunction(
        (from) =>
          (globalThis as unknown as HlsPageGlobals).document.querySelector('#player').currentTime > from + 2,
        a,
        { timeout: 10_000 },
      );
      const latency = await hlsJsLatency(page);
      t.diagnostic(`hls.js live latency (its own estimate, playhead to live edge): ${latency.toFixed(2)} s`);
    } finally {
      await page.close();
      src.stop();
    }
  });
});
