/**
 * Firefox ESR (puppeteer-core over WebDriver BiDi) on both sides of the product:
 * - as a listener, it plays an Icecast source's 440 Hz by itself (OFFLINE → "The stream is started");
 * - as a broadcaster, it goes live over the per-chunk upload (Firefox has no streaming request
 *   bodies), over plain HTTP and over HTTPS with HTTP/2, and a Chromium listener and an Ogg listener
 *   (ffmpeg) hear its fake microphone's tone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as PlaywrightBrowser } from 'playwright-core';
import type { Browser, Page } from 'puppeteer-core';
import { paths } from '../../src/shared/protocol.js';
import { launchChromium, playwrightDriver } from '../../tools/chromium.js';
import { decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import { launchFirefox, puppeteerDriver } from '../../tools/firefox.js';
import {
  assertHearsTone,
  assertPlayheadAdvances,
  textInPage,
  waitForSteadyPlayhead,
  waitForText,
} from '../../tools/page-audio.js';
import type { TestServer } from '../../tools/server.js';
import { readMetric, startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';

const STARTED = 'The stream is started';
/** Firefox's fake microphone pitch (media.navigator.audio.fake_frequency): not the 440 Hz of the other sources, so a listener that hears it hears Firefox. */
const FIREFOX_TONE_HZ = 660;

describe('Firefox ESR as a listener', () => {
  let server: TestServer;
  let firefox: Browser;
  before(async () => {
    server = await startTestServer();
    // Mock audio output: the page's AudioContext runs, so the FFT hears what the element plays.
    firefox = await launchFirefox({ autoplay: true, mockAudioOutput: true });
  });
  after(async () => {
    await firefox?.close();
    await server?.close();
  });

  for (const rung of [
    { name: 'low latency (WebCodecs)', query: '', label: /^Low latency · WebCodecs Opus/ },
    { name: 'MSE', query: '?player=mse', label: /^MSE · WebM\/Opus/ },
  ]) {
    it(`goes OFFLINE → started → plays the 440 Hz source over ${rung.name} → OFFLINE`, async (t) => {
      t.diagnostic(await firefox.version());
      const mount = 'radio';
      const page = await firefox.newPage();
      const tab = puppeteerDriver(page);
      await page.goto(`${server.baseUrl}/listen/${mount}${rung.query}`);
      await waitForText(tab, '#status', 'OFFLINE');
      const src = startFfmpegSource({
        url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
        format: 'ogg',
        seconds: 30,
      });
      try {
        await waitForText(tab, '#status', STARTED);
        await waitForText(tab, '#note', 'Playing live.');
        // ffmpeg delivers in bursts: the player may rebuffer once or twice while its live-edge target
        // grows to fit (as in the Chromium test). Measure once it plays steadily.
        await waitForSteadyPlayhead(tab);
        const details = await tab.run(textInPage, '#details');
        assert.match(details ?? '', rung.label, `playback path: ${details}`);
        await assertPlayheadAdvances(tab);
        const peak = await assertHearsTone(tab, 440);
        t.diagnostic(`${details}; peak ${peak.peakHz.toFixed(1)} Hz at ${peak.peakDb.toFixed(1)} dB`);
      } finally {
        src.stop();
      }
      await waitForText(tab, '#status', 'OFFLINE');
      await page.close();
    });
  }
});

describe('Firefox ESR as a broadcaster', () => {
  let server: TestServer;
  let firefox: Browser;
  let chromium: PlaywrightBrowser;
  before(async () => {
    server = await startTestServer();
    // No mock audio output: its slow clock would make the fake microphone 6 % slow (see firefox.ts).
    firefox = await launchFirefox({
      autoplay: true,
      fakeToneHz: FIREFOX_TONE_HZ,
      mockAudioOutput: false,
      acceptInsecureCerts: true,
    });
    chromium = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await chromium?.close();
    await firefox?.close();
    await server?.close();
  });

  it('goes live over per-chunk upload from plain http://127.0.0.1; Chromium and Ogg listeners hear its tone', async (t) => {
    t.diagnostic(await firefox.version());
    const host = await firefox.newPage();
    const hostTab = puppeteerDriver(host);
    const uploads = watchUploads(host, 'live');
    const listener = await chromium.newPage();
    const listenerTab = playwrightDriver(listener);
    await listener.goto(`${server.baseUrl}/`);
    await waitForText(listenerTab, '#status', 'OFFLINE');

    // 127.0.0.1 over plain HTTP is a secure context: getUserMedia is allowed.
    await host.goto(`${server.baseUrl}/broadcast`);
    await host.type('#key', server.streamKey);
    await host.click('#golive');
    await waitForText(hostTab, '#transport', 'per-chunk upload');
    await waitForText(listenerTab, '#status', STARTED);
    await waitForText(listenerTab, '#note', 'Playing live.');
    // The Chromium player rebuffers once early on (about 0.3 s, as with a Chromium broadcaster)
    // while its live-edge target grows. Measure once it plays steadily.
    await waitForSteadyPlayhead(listenerTab);
    await assertPlayheadAdvances(listenerTab);
    const peak = await assertHearsTone(listenerTab, FIREFOX_TONE_HZ);
    t.diagnostic(`Chromium listener: peak ${peak.peakHz.toFixed(1)} Hz at ${peak.peakDb.toFixed(1)} dB`);

    // The Ogg rendition (Firefox's WebM re-paged as Ogg) carries the same tone.
    const ogg = await decodeWithFfmpeg(`${server.baseUrl}/live.ogg`, 2, 15_000);
    assert.equal(ogg.code, 0, `ffmpeg: ${ogg.stderr}`);
    const tone = dominantHz(ogg.samples);
    assert.ok(Math.abs(tone.hz - FIREFOX_TONE_HZ) < 10, `Ogg listener hears ${tone.hz} Hz`);
    assert.ok(tone.rms > 0.01, `Ogg listener level ${tone.rms.toFixed(4)} RMS`);
    t.diagnostic(
      `Ogg listener: ${tone.hz} Hz at ${tone.rms.toFixed(4)} RMS; ${uploads.chunkPosts} chunk POSTs so far`,
    );

    // The transport: acknowledged chunk POSTs only, never a streaming upload.
    await host.click('#stop');
    await waitForText(listenerTab, '#status', 'OFFLINE');
    await assertChunkUploadOnly(server, 'live', uploads);
    await Promise.all([host.close(), listener.close()]);
  });

  it('picks the per-chunk upload over HTTPS (HTTP/2) too; an Ogg listener hears its tone', async () => {
    const mount = 'studio';
    const host = await firefox.newPage();
    const hostTab = puppeteerDriver(host);
    const uploads = watchUploads(host, mount);
    await host.goto(`${server.httpsUrl}/broadcast?mount=${mount}`);
    const protocol = await host.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
    );
    assert.equal(protocol, 'h2', 'the page came over HTTP/2, where Chromium would stream');
    await host.type('#key', server.streamKey);
    await host.click('#golive');
    await waitForText(hostTab, '#transport', 'per-chunk upload');
    // The label shows the planned transport before the first chunk: wait for the mount to be live.
    await waitUntil('the mount live', 10_000, () => server.server.hub.find(mount)?.state === 'live');
    const ogg = await decodeWithFfmpeg(`${server.baseUrl}/${mount}.ogg`, 2, 15_000);
    assert.equal(ogg.code, 0, `ffmpeg: ${ogg.stderr}`);
    const tone = dominantHz(ogg.samples);
    assert.ok(Math.abs(tone.hz - FIREFOX_TONE_HZ) < 10, `Ogg listener hears ${tone.hz} Hz`);
    assert.ok(tone.rms > 0.01, `Ogg listener level ${tone.rms.toFixed(4)} RMS`);
    await host.click('#stop');
    await assertChunkUploadOnly(server, mount, uploads);
    await host.close();
  });
});

/** What the broadcaster page sent for `mount`, from puppeteer's request and response events (over BiDi). */
interface UploadRequests {
  chunkPosts: number;
  streamPosts: number;
  /** HTTP statuses of the page's DELETE of its session (Stop). */
  sessionDeletes: number[];
}

function watchUploads(page: Page, mount: string): UploadRequests {
  const seen: UploadRequests = { chunkPosts: 0, streamPosts: 0, sessionDeletes: [] };
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (req.method() === 'POST' && path === paths.ingestChunk(mount)) seen.chunkPosts += 1;
    if (req.method() === 'POST' && path === paths.ingestStream(mount)) seen.streamPosts += 1;
  });
  page.on('response', (res) => {
    const req = res.request();
    if (req.method() === 'DELETE' && new URL(req.url()).pathname === paths.ingestSession(mount))
      seen.sessionDeletes.push(res.status());
  });
  return seen;
}

/**
 * The broadcast of `mount` came as acknowledged chunk POSTs only, never a streaming upload, was ended
 * by Stop (the page's DELETE of its session, answered 200) and the server took its bytes.
 */
async function assertChunkUploadOnly(server: TestServer, mount: string, seen: UploadRequests): Promise<void> {
  assert.ok(seen.chunkPosts >= 10, `${seen.chunkPosts} chunk POSTs`);
  assert.equal(seen.streamPosts, 0, 'no upload stream');
  await waitUntil('Stop sent', 5_000, () => seen.sessionDeletes.length > 0);
  assert.deepEqual(seen.sessionDeletes, [200], 'ended by Stop');
  await waitUntil('the mount offline', 5_000, () => server.server.hub.find(mount)?.state !== 'live');
  const bytesIn = (await readMetric(server.baseUrl, `onair_ingest_bytes_total{mount="${mount}"}`)) ?? 0;
  assert.ok(bytesIn > 10_000, `server took ${bytesIn} bytes`);
}
