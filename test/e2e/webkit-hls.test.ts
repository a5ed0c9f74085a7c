/**
 * The native-HLS rung in WebKitGTK (`?player=hls`: WebKit has MediaSource, so the page would not pick
 * it by itself), with WebKitGTK's own HLS player switched on (`WEBKIT_GST_ENABLE_HLS_SUPPORT=1`:
 * WebKitGTK keeps GStreamer's HLS off by default): the element is given `/<mount>.m3u8` and goes
 * OFFLINE → started → plays 440 Hz → OFFLINE → plays again on the next broadcast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import { assertHearsTone, assertPlayheadAdvances, textInPage, waitForText } from '../../tools/page-audio.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { launchWebKit, type WebKitSession } from '../../tools/webkit.js';

const STARTED = 'The stream is started';

describe('listener in WebKitGTK: native HLS (the iPhone rung)', () => {
  let server: TestServer;
  let webkit: WebKitSession;
  before(async () => {
    server = await startTestServer();
    // The driver, and so the browser it starts, inherits this environment.
    process.env.WEBKIT_GST_ENABLE_HLS_SUPPORT = '1';
    webkit = await launchWebKit();
  });
  after(async () => {
    await webkit?.close();
    await server?.close();
    delete process.env.WEBKIT_GST_ENABLE_HLS_SUPPORT;
  });

  it('plays the HLS playlist in the element, through OFFLINE and back', async (t) => {
    t.diagnostic(`WebKitGTK ${webkit.version}`);
    const mount = 'radio';
    await webkit.navigate(`${server.baseUrl}/listen/${mount}?player=hls`);
    await waitForText(webkit, '#status', 'OFFLINE');
    for (let round = 0; round < 2; round++) {
      const src = startFfmpegSource({
        url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: 30,
      });
      try {
        await waitForText(webkit, '#status', STARTED);
        await waitForText(webkit, '#note', 'Playing live.', 20_000);
        const details = await webkit.run(textInPage, '#details');
        assert.match(details ?? '', /^Native HLS · fMP4\/Opus/, `playback path: ${details}`);
        const src2 = await webkit.run(
          () => document.querySelector('#player')?.getAttribute('src') ?? '',
          null,
        );
        assert.equal(src2, `/${mount}.m3u8`);
        await assertPlayheadAdvances(webkit);
        const peak = await assertHearsTone(webkit, 440);
        t.diagnostic(
          `round ${round + 1}: ${details}; peak ${peak.peakHz.toFixed(1)} Hz at ${peak.peakDb.toFixed(1)} dB`,
        );
      } finally {
        src.stop();
      }
      await waitForText(webkit, '#status', 'OFFLINE');
    }
  });
});
