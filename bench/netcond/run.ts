/**
 * Network-conditions bench (prints figures; not a test). Run after the build:
 *   node build/node/bench/netcond/run.js [--seconds 60] [--skip 5] [--rungs lowlat,mse,progressive]
 *     [--conditions loopback,loopback100,burst,jitter,jitter100,stall,spikes,cap256] [--out result.json]
 *
 * For each condition, one real server, one real ffmpeg source sending a steady 440 Hz tone (Ogg/Opus,
 * Icecast PUT), and one Chromium with one listener page per rung (`?player=…`), all pages reaching
 * the server through the conditions proxy (tools/proxy.ts). Each page's output is watched by
 * the in-page silence meter (tools/page-audio.ts) for `--seconds`; silences in the first
 * `--skip` seconds after the first sound are left out (start-up). Per rung and condition: dropouts per
 * minute, total and longest silence, glass-to-glass p50/p90 (the tone dips for 30 ms every
 * MARKER_EVERY_S; source side: when ffmpeg had encoded the dip, from its -progress reports; listener
 * side: when the page's graph played it, output latency not added), the target buffer the player
 * settled on, and reconnects.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, playwrightDriver } from '../../tools/chromium.js';
import {
  glassToGlass,
  JITTER_20_100,
  listenerRecord,
  openMeteredListener,
  type Rung,
  silencesAfter,
  startListenRig,
} from '../../tools/listen-rig.js';
import { bufferedAhead } from '../../tools/listener-page.js';
import type { SilenceReport } from '../../tools/page-audio.js';
import type { ProxyConditions } from '../../tools/proxy.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    skip: { type: 'string', default: '5' },
    rungs: { type: 'string', default: 'lowlat,mse,progressive' },
    conditions: {
      type: 'string',
      default: 'loopback,loopback100,burst,jitter,jitter100,stall,spikes,cap256',
    },
    out: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const SKIP_MS = Number(values.skip) * 1000;
const RUNGS = values.rungs.split(',') as Rung[];
/**
 * Marker dips in the tone this often: glass-to-glass above this would alias. Long enough for the
 * rungs seconds behind (native HLS, plain `<audio>`).
 */
const MARKER_EVERY_S = 8;

interface Condition {
  id: string;
  name: string;
  /** The source sends one Ogg page a second (ffmpeg's default muxer settings) instead of one per 100 ms. */
  burst?: boolean;
  /**
   * Audio per Ogg page otherwise, ms (default 100, as the README's low-delay command). 20 where
   * glass-to-glass is the point (loopback, jitter); the stall, spike and cap conditions keep 100 ms
   * pages, so "2 % of chunks" stays 12 spikes a minute and the rows compare with earlier runs.
   */
  pageMs?: number;
  proxy: ProxyConditions;
  /** Seconds of stall per minute the condition imposes (for the "≤ 110 % of the stalls" target). */
  stallMsPerMin?: number;
}

const CONDITIONS: Condition[] = [
  { id: 'loopback', name: 'loopback (20 ms pages)', pageMs: 20, proxy: {} },
  { id: 'loopback100', name: 'loopback (100 ms pages)', proxy: {} },
  { id: 'burst', name: 'source bursting once a second', burst: true, proxy: {} },
  {
    id: 'jitter',
    name: 'jitter 20–100 ms (20 ms pages)',
    pageMs: 20,
    proxy: JITTER_20_100,
  },
  { id: 'jitter100', name: 'jitter 20–100 ms (100 ms pages)', proxy: JITTER_20_100 },
  {
    id: 'stall',
    name: '400 ms stall every 10 s',
    proxy: { down: { stall: { everyMs: 10_000, forMs: 400 } } },
    stallMsPerMin: 2_400,
  },
  {
    id: 'spikes',
    name: '2 % of chunks delayed 300 ms',
    proxy: { down: { spikeProbability: 0.02, spikeMs: 300 } },
  },
  { id: 'cap256', name: '256 kbit/s cap', proxy: { down: { bandwidthKbps: 256 } } },
];

interface Row {
  rung: Rung;
  condition: string;
  measuredS: number;
  dropoutsPerMin: number;
  silentMs: number;
  longestMs: number;
  stallMsPerMin: number | null;
  targetMs: number | null;
  aheadP50Ms: number;
  aheadP90Ms: number;
  g2gP50Ms: number;
  g2gP90Ms: number;
  g2gN: number;
  connects: number;
  report: SilenceReport;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

async function runCondition(cond: Condition): Promise<Row[]> {
  const rig = await startListenRig({
    proxy: { ...cond.proxy, seed: 12 },
    burst: cond.burst,
    pageMs: cond.pageMs,
    seconds: SECONDS + 40,
    markerEveryS: MARKER_EVERY_S,
  });
  const browser = await launchChromium({ autoplay: true });
  try {
    const context = await browser.newContext();
    const pages = new Map<Rung, Page>();
    for (const rung of RUNGS) pages.set(rung, await openMeteredListener(context, rig, rung));
    const connectsAtStart = rig.proxy.accepted;
    const ahead = new Map<Rung, number[]>(RUNGS.map((r) => [r, []]));
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      await new Promise((r) => setTimeout(r, 1_000));
      for (const [rung, page] of pages) ahead.get(rung)?.push((await bufferedAhead(page)) * 1000);
    }
    const rows: Row[] = [];
    for (const [rung, page] of pages) {
      const { silence: report } = await listenerRecord(playwrightDriver(page));
      const a = silencesAfter(report, SKIP_MS);
      const target = await page.locator('#player').getAttribute('data-target-ms');
      const xs = ahead.get(rung) ?? [];
      const from = Date.now() - a.spanMs;
      const g2g = glassToGlass(rig, report.dips, MARKER_EVERY_S).filter(
        (_, i) => (report.dips[i] ?? 0) >= from,
      );
      rows.push({
        rung,
        condition: cond.name,
        measuredS: Math.round(a.spanMs / 1000),
        dropoutsPerMin: (a.dropouts * 60_000) / a.spanMs,
        silentMs: a.silentMs,
        longestMs: a.longestMs,
        stallMsPerMin: cond.stallMsPerMin ?? null,
        targetMs: target === null ? null : Number(target),
        aheadP50Ms: quantile(xs, 0.5),
        aheadP90Ms: quantile(xs, 0.9),
        g2gP50Ms: quantile(g2g, 0.5),
        g2gP90Ms: quantile(g2g, 0.9),
        g2gN: g2g.length,
        connects: rig.proxy.accepted - connectsAtStart,
        report,
      });
    }
    await context.close();
    return rows;
  } finally {
    await browser.close();
    await rig.close();
  }
}

const rungName: Record<Rung, string> = {
  lowlat: 'low latency',
  mse: 'MSE',
  progressive: 'plain <audio>',
  hls: 'native HLS',
};
const all: Row[] = [];
for (const id of values.conditions.split(',')) {
  const cond = CONDITIONS.find((c) => c.id === id);
  if (!cond) throw new Error(`unknown condition ${id}`);
  process.stderr.write(`[netcond] ${cond.name}, ${SECONDS} s…\n`);
  const rows = await runCondition(cond);
  for (const r of rows) {
    process.stderr.write(
      `  ${rungName[r.rung]}: ${r.dropoutsPerMin.toFixed(1)}/min, silent ${r.silentMs} ms, longest ${r.longestMs} ms, ` +
        `G2G p50 ${r.g2gP50Ms.toFixed(0)} ms (n=${r.g2gN}), target ${r.targetMs ?? '—'} ms, ahead p50 ${r.aheadP50Ms.toFixed(0)} ms, connects ${r.connects}\n`,
    );
  }
  all.push(...rows);
}

// One row per condition, one column per rung: the README's table.
const cell = (r: Row): string =>
  `${r.dropoutsPerMin.toFixed(1)} / min; ${r.silentMs} ms, longest ${r.longestMs} ms; ` +
  `G2G ${r.g2gP50Ms.toFixed(0)} / ${r.g2gP90Ms.toFixed(0)} ms (n=${r.g2gN}); ` +
  `ahead ${r.aheadP50Ms.toFixed(0)} / ${r.aheadP90Ms.toFixed(0)} ms${r.targetMs === null ? '' : ` (target ${r.targetMs})`}` +
  (r.connects > 0 ? `; ${r.connects} reconnects` : '');
console.log(
  `\n| condition (60 s each) | ${RUNGS.map((r) => `${rungName[r]}: dropouts, silence total and longest, glass-to-glass and buffer ahead p50 / p90`).join(' | ')} |`,
);
console.log(`| --- |${RUNGS.map(() => ' --- |').join('')}`);
for (const id of values.conditions.split(',')) {
  const rows = all.filter((r) => r.condition === CONDITIONS.find((c) => c.id === id)?.name);
  const first = rows[0];
  if (!first) continue;
  const stalls =
    first.stallMsPerMin === null
      ? ''
      : ` (stalls: ${Math.round((first.stallMsPerMin * first.measuredS) / 60)} ms)`;
  console.log(
    `| ${first.condition}${stalls} | ${RUNGS.map((rung) => {
      const r = rows.find((x) => x.rung === rung);
      return r ? cell(r) : '—';
    }).join(' | ')} |`,
  );
}
if (values.out) writeFileSync(values.out, JSON.stringify(all, null, 2));
