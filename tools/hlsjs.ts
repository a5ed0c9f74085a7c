/**
 * hls.js (npm devDependency: a test client, never served to listeners) in a Playwright page on the
 * server's origin: the page is served by the browser itself (`page.route`), hls.js is added from
 * node_modules, and it plays a playlist into `<audio id="player">`. Shared by the e2e test and
 * bench/hls.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
const PAGE_PATH = '/__hlsjs-test.html';

/** The little of the page these helpers touch (compiled without the DOM library). */
export interface HlsPageGlobals {
  Hls: {
    new (
      config: Record<string, unknown>,
    ): {
      loadSource(url: string): void;
      attachMedia(el: object): void;
      on(event: string, cb: (event: string, data: { fatal?: boolean; details?: string }) => void): void;
      latency: number;
      lowLatencyMode: boolean;
    };
    isSupported(): boolean;
    Events: Record<string, string>;
  };
  document: { querySelector(s: string): { currentTime: number; paused: boolean; play(): Promise<void> } };
  hls?: { latency: number; lowLatencyMode: boolean };
  hlsErrors: string[];
}

/**
 * Opens `origin` + a blank page with `<audio id="player">` and plays `playlist` with hls.js
 * (`lowLatencyMode` as given). Fatal hls.js errors are kept in `window.hlsErrors`.
 */
export async function openHlsJs(
  page: Page,
  origin: string,
  playlist: string,
  lowLatencyMode = true,
): Promise<void> {
  await page.route(`${origin}${PAGE_PATH}`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><audio id="player"></audio>' }),
  );
  await page.goto(`${origin}${PAGE_PATH}`);
  await page.addScriptTag({ path: HLS_JS });
  await page.evaluate(
    ({ url, lowLatencyMode }) => {
      const w = globalThis as unknown as HlsPageGlobals;
      if (!w.Hls.isSupported()) throw new Error('hls.js: no MediaSource here');
      const el = w.document.querySelector('#player');
      const hls = new w.Hls({ lowLatencyMode });
      w.hlsErrors = [];
      hls.on(w.Hls.Events.ERROR as string, (_e, data) => {
        if (data.fatal) w.hlsErrors.push(String(data.details));
      });
      hls.loadSource(url);
      hls.attachMedia(el);
      w.hls = hls;
      void el.play();
    },
    { url: playlist, lowLatencyMode },
  );
}

/** Waits until #player plays past 1 s, or hls.js reports a fatal error (then throws it). */
export async function waitForHlsJsPlaying(page: Page, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const w = globalThis as unknown as HlsPageGlobals;
      const el = w.document.querySelector('#player');
      return (w.hlsErrors.length > 0 || (!el.paused && el.currentTime > 1)) as boolean;
    },
    undefined,
    { timeout: timeoutMs },
  );
  const errors = await page.evaluate(() => (globalThis as unknown as HlsPageGlobals).hlsErrors);
  if (errors.length > 0) throw new Error(`hls.js fatal errors: ${errors.join(', ')}`);
}

/** hls.js's own estimate of its live latency (playhead to live edge), s. */
export function hlsJsLatency(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as HlsPageGlobals).hls?.latency ?? Number.NaN);
}
