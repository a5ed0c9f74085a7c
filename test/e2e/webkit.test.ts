/**
 * The listener page in WebKitGTK (MiniBrowser under WebKitWebDriver, on Xvfb): OFFLINE → "The stream
 * is started" → plays an Icecast source's 440 Hz by itself, on each rung WebKit can take here:
 * MSE WebM/Opus (needs GStreamer's opusparse, from gstreamer1.0-plugins-bad) and, with opusparse
 * hidden, the plain `<audio src>` fallback; and, with WebKit's default autoplay policy, after a tap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import {
  assertHearsTone,
  assertPlayheadAdvances,
  textInPage,
  waitForSteadyPlayhead,
  waitForText,
} from '../../tools/page-audio.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { launchWebKit, type WebKitSession } from '../../tools/webkit.js';

const STARTED = 'The stream is started';

const RUNGS = [
  { name: 'low latency (WebCodecs)', hideGstPlugins: [], query: '', label: /^Low latency · WebCodecs Opus/ },
  { name: 'MSE WebM/Opus', hideGstPlugins: [], query: '?player=mse', label: /^MSE · WebM\/Opus/ },
  {
    // `?player=mse` skips WebCodecs; without opusparse MSE refuses WebM/Opus, so the page goes on down.
    name: 'plain <audio> fallback (GStreamer without opusparse: no MSE WebM/Opus)',
    hideGstPlugins: ['libgstopusparse.so'],
    query: '?player=mse',
    label: /^Plain <audio> · (Ogg|WebM)\/Opus \(no MediaSource\)/,
  },
] as const;

for (const rung of RUNGS) {
  describe(`listener in WebKitGTK: ${rung.name}`, () => {
    let server: TestServer;
    let webkit: WebKitSession;
    before(async () => {
      server = await startTestServer();
      webkit = await launchWebKit({ hideGstPlugins: [...rung.hideGstPlugins] });
    });
    after(async () => {
      await webkit?.close();
      await server?.close();
    });

    it('goes OFFLINE → started → plays the 440 Hz source → OFFLINE', async (t) => {
      t.diagnostic(`WebKitGTK ${webkit.version}`);
      const mount = 'radio';
      await webkit.navigate(`${server.baseUrl}/listen/${mount}${rung.query}`);
      await waitForText(webkit, '#status', 'OFFLINE');
      const src = startFfmpegSource({
        url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: 30,
      });
      try {
        await waitForText(webkit, '#status', STARTED);
        await waitForText(webkit, '#note', 'Playing live.');
        // ffmpeg delivers in bursts: let the player's live-edge target settle (as in the Chromium test),
        // until it plays steadily.
        await waitForSteadyPlayhead(webkit);
        const details = await webkit.run(textInPage, '#details');
        assert.match(details ?? '', rung.label, `playback path: ${details}`);
        await assertPlayheadAdvances(webkit);
        // Tapping the element (createMediaElementSource) re-routes WebKit's audio: it goes silent from
        // about 1.2 to 1.9 s after, once; the meter averages power, so that costs a few dB.
        const peak = await assertHearsTone(webkit, 440);
        t.diagnostic(`${details}; peak ${peak.peakHz.toFixed(1)} Hz at ${peak.peakDb.toFixed(1)} dB`);
      } finally {
        src.stop();
      }
      await waitForText(webkit, '#status', 'OFFLINE');
    });
  });
}

describe('listener in WebKitGTK: autoplay not allowed (WebKit default)', () => {
  let server: TestServer;
  let webkit: WebKitSession;
  before(async () => {
    server = await startTestServer();
    webkit = await launchWebKit({ autoplay: false });
  });
  after(async () => {
    await webkit?.close();
    await server?.close();
  });

  it('asks for a tap when the stream starts, and plays after one', async () => {
    const mount = 'radio';
    await webkit.navigate(`${server.baseUrl}/listen/${mount}`);
    await waitForText(webkit, '#status', 'OFFLINE');
    const src = startFfmpegSource({
      url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
      format: 'ogg',
      seconds: 30,
    });
    try {
      await waitForText(webkit, '#status', STARTED);
      // WebKit refuses play() without a gesture: the page says so instead of failing.
      await waitForText(webkit, '#note', 'Your browser needs a tap before it plays sound.');
      assert.equal(await webkit.run(textInPage, '#tap'), 'Tap to listen');
      await webkit.click('#tap');
      await waitForText(webkit, '#note', 'Playing live.');
      // The meter's AudioContext may start only within the tap's activation (measured: 2.5 s after it
      // yes, 5.5 s no; a WebDriver script is no gesture), so it goes first, then the playhead check.
      await assertHearsTone(webkit, 440);
      await assertPlayheadAdvances(webkit);
    } finally {
      src.stop();
    }
    await waitForText(webkit, '#status', 'OFFLINE');
  });
});
