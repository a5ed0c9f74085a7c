/**
 * A live mount on a real server with a real ffmpeg source, and listener pages that reach the server
 * through the conditions proxy, each watched by the silence meter and a record of its texts. Shared
 * by the network-conditions e2e tests and bench/netcond.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { playwrightDriver } from './chromium.js';
import { type FfmpegSource, startFfmpegSource } from './ffmpeg.js';
import { PLAYING, STARTED, waitForStatus } from './listener-page.js';
import {
  type PageDriver,
  recordedTextsInPage,
  recordTextsInPage,
  type SilenceReport,
  silenceInPage,
  startSilenceMeter,
} from './page-audio.js';
import { type NetProxy, type ProxyOptions, startProxy } from './proxy.js';
import { startTestServer, type TestServer } from './server.js';

/** What the server sends listeners goes through 20–100 ms of jitter (order kept). */
export const JITTER_20_100 = { down: { jitterMs: [20, 100] as const } };

/** The listener's rungs, as `?player=` names them. */
export type Rung = 'lowlat' | 'mse' | 'progressive' | 'hls';

export interface ListenRig {
  server: TestServer;
  /** Listener pages go through this; the source does not. */
  proxy: NetProxy;
  source: FfmpegSource;
  /** The listener page URL for `rung`, through the proxy. */
  url(rung: Rung): string;
  close(): Promise<void>;
}

export interface ListenRigOptions {
  proxy?: ProxyOptions;
  /** ffmpeg's default muxer settings: an Ogg page a second (see startFfmpegSource). Default false. */
  burst?: boolean;
  /**
   * Audio per Ogg page when not bursting, ms (ffmpeg's `-page_duration`): 100 by default, as the
   * README's low-delay command; 20 (one Opus packet a page) for the lowest delay.
   */
  pageMs?: number;
  /** How long the source sends. */
  seconds: number;
  /** Marker dips in the tone every this many seconds (see startFfmpegSource), for glass-to-glass. */
  markerEveryS?: number;
  mount?: string;
}

export async function startListenRig(opts: ListenRigOptions): Promise<ListenRig> {
  const mount = opts.mount ?? 'live';
  const server = await startTestServer();
  const proxy = await startProxy(opts.proxy ?? {});
  proxy.setTarget(server.server.httpPort);
  const source = startFfmpegSource({
    url: `icecast://source:${server.streamKey}@127.0.0.1:${server.server.httpPort}/${mount}`,
    format: 'ogg',
    seconds: opts.seconds,
    muxer: opts.burst ? 'default' : 'steady',
    markerEveryS: opts.markerEveryS,
    // A later -page_duration overrides the steady muxer's 100 ms.
    extraArgs: !opts.burst && opts.pageMs ? ['-page_duration', String(opts.pageMs * 1000)] : [],
  });
  return {
    server,
    proxy,
    source,
    url: (rung) => `http://127.0.0.1:${proxy.port}/listen/${mount}?player=${rung}`,
    async close() {
      source.stop();
      await source.exited;
      await proxy.close();
      await server.close();
    },
  };
}

/**
 * Opens a listener page for `rung`, waits until it plays (the status says started and the note says
 * playing), then starts its silence meter and the record of its `#note` texts.
 */
export async function openMeteredListener(
  context: BrowserContext,
  rig: ListenRig,
  rung: Rung,
  timeoutMs = 20_000,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(rig.url(rung));
  await waitForStatus(page, STARTED, timeoutMs);
  await page.locator('#note', { hasText: PLAYING }).waitFor({ timeout: timeoutMs });
  const tab = playwrightDriver(page);
  await startSilenceMeter(tab, { selector: '#player' });
  await tab.run(recordTextsInPage, '#note');
  await tab.run(recordTextsInPage, '#status');
  return page;
}

/** The silence meter's report and the texts `#note` and `#status` showed since the meter started. */
export async function listenerRecord(
  tab: PageDriver,
): Promise<{ silence: SilenceReport; notes: string[]; statuses: string[] }> {
  return {
    silence: await tab.run(silenceInPage, '#player'),
    notes: await tab.run(recordedTextsInPage, '#note'),
    statuses: await tab.run(recordedTextsInPage, '#status'),
  };
}

/** Silences that started at least `skipMs` after the first sound (the one going on included). */
export function silencesAfter(
  r: SilenceReport,
  skipMs: number,
): { dropouts: number; silentMs: number; longestMs: number; spanMs: number } {
  const from = (r.firstSoundMs ?? 0) + skipMs;
  const gaps = r.gaps.filter(([at]) => at >= from);
  if (r.ongoingMs > 0) gaps.push([r.measuredMs - r.ongoingMs, r.ongoingMs]);
  return {
    dropouts: gaps.length,
    silentMs: gaps.reduce((a, [, len]) => a + len, 0),
    longestMs: gaps.reduce((a, [, len]) => Math.max(a, len), 0),
    spanMs: Math.max(1, r.measuredMs - from),
  };
}

/**
 * Glass-to-glass of each marker dip a listener played (ms): its wall time minus the time the source
 * encoded the marker before it. Markers come every `everyS`, so a latency above that would alias.
 */
export function glassToGlass(rig: ListenRig, dips: number[], everyS: number): number[] {
  const out: number[] = [];
  const t0 = rig.source.wallAt(0);
  if (t0 === null) return out;
  for (const d of dips) {
    const k = Math.floor((d - t0) / (everyS * 1000));
    const at = rig.source.wallAt(k * everyS);
    if (k >= 0 && at !== null) out.push(d - at);
  }
  return out;
}

/** One line for a test's diagnostics: the silences a meter counted. */
export function describeSilence(r: SilenceReport): string {
  return (
    `${r.dropouts} silences, ${r.silentMs} ms in all, longest ${r.longestMs} ms over ${r.measuredMs} ms` +
    ` (first sound at ${r.firstSoundMs} ms; unmeasured ${r.unmeasuredMs} ms); gaps ${JSON.stringify(r.gaps.slice(-12))}`
  );
}

/** The player's watchdog record of its last restart (`#player[data-last-stall]`), or null if none. */
export async function lastStall(page: Page): Promise<string | null> {
  return page.locator('#player').getAttribute('data-last-stall');
}
