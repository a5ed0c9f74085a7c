/**
 * HLS glass-to-glass bench (prints figures; not a test). Run after the build:
 *   node build/node/bench/hls/run.js [--seconds 60] [--skip 10] [--out result.json]
 *
 * One real server, one real ffmpeg source (steady 440 Hz tone, Ogg/Opus pages every 100 ms, a 30 ms
 * dip every MARKER_EVERY_S), one Chromium with four listeners side by side: the listener page's
 * low-latency rung and its MSE rung, hls.js in low-latency mode and hls.js as a plain HLS client
 * (lowLatencyMode off) on `/<mount>.m3u8`. Each page's output is watched by the in-page silence meter
 * for `--seconds`; glass-to-glass is the time from ffmpeg encoding a dip to the page playing it.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, playwrightDriver } from '../../tools/chromium.js';
import { hlsJsLatency, openHlsJs, waitForHlsJsPlaying } from '../../tools/hlsjs.js';
import { glassToGlass, listenerRecord, openMeteredListener, startListenRig } from '../../tools/listen-rig.js';
import { startSilenceMeter } from '../../tools/page-audio.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    skip: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const SKIP_MS = Number(values.skip) * 1000;
/** Long enough that a plain HLS client's few seconds do not alias. */
const MARKER_EVERY_S = 8;

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

const rig = await startListenRig({ seconds: SECONDS + 60, markerEveryS: MARKER_EVERY_S, mount: 'live' });
const browser = await launchChromium({ autoplay: true });
const rows: { name: string; p50: number; p90: number; n: number; hlsJsLatencyS?: number }[] = [];
try {
  const context = await browser.newContext();
  const pages: [string, Page][] = [
    ['listener page, low-latency rung', await openMeteredListener(context, rig, 'lowlat')],
    ['listener page, MSE rung', await openMeteredListener(context, rig, 'mse')],
  ];
  const origin = new URL(rig.url('mse')).origin;
  for (const [name, ll] of [
    ['hls.js, low-latency mode', true],
    ['hls.js, plain HLS (lowLatencyMode off)', false],
  ] as const) {
    const page = await context.newPage();
    await openHlsJs(page, origin, `${origin}/live.m3u8`, ll);
    await waitForHlsJsPlaying(page);
    await startSilenceMeter(playwrightDriver(page), { selector: '#player' });
    pages.push([name, page]);
  }
  const started = Date.now();
  process.stderr.write(`[hls] measuring ${SECONDS} s…\n`);
  while (Date.now() - started < SECONDS * 1000) await new Promise((r) => setTimeout(r, 1_000));
  for (const [name, page] of pages) {
    const { silence } = await listenerRecord(playwrightDriver(page));
    const from = (silence.firstSoundMs ?? 0) + SKIP_MS;
    const spanStart = Date.now() - (silence.measuredMs - from);
    const g2g = glassToGlass(rig, silence.dips, MARKER_EVERY_S).filter(
      (_, i) => (silence.dips[i] ?? 0) >= spanStart,
    );
    const row = {
      name,
      p50: quantile(g2g, 0.5),
      p90: quantile(g2g, 0.9),
      n: g2g.length,
      ...(name.startsWith('hls.js') ? { hlsJsLatencyS: await hlsJsLatency(page) } : {}),
    };
    rows.push(row);
    process.stderr.write(
      `  ${name}: G2G p50 ${row.p50.toFixed(0)} / p90 ${row.p90.toFixed(0)} ms (n=${row.n})\n`,
    );
  }
  await context.close();
} finally {
  await browser.close();
  await rig.close();
}
console.log('\n| listener | glass-to-glass p50 / p90 | dips measured | hls.js own latency estimate |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.p50.toFixed(0)} / ${r.p90.toFixed(0)} ms | ${r.n} | ${r.hlsJsLatencyS === undefined ? '—' : `${r.hlsJsLatencyS.toFixed(2)} s`} |`,
  );
}
if (values.out) writeFileSync(values.out, JSON.stringify(rows, null, 2));
