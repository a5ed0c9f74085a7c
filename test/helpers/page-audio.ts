/**
 * Page-side functions that any browser driver can run (Playwright's and puppeteer's `evaluate`, a
 * WebDriver `execute/async`): each is self-contained, takes one JSON argument and returns JSON, so
 * only its source text crosses over. Plus the driver-neutral checks the cross-engine tests share.
 */
import assert from 'node:assert/strict';

export interface PeakMeasurement {
  /** Centre frequency of the strongest FFT bin (averaged spectrum). */
  peakHz: number;
  /** Its level in dBFS, its power averaged over the samples; -200 is digital silence, below about -100 is inaudible. */
  peakDb: number;
}

export interface Playhead {
  /** The element's currentTime, s. */
  t: number;
  paused: boolean;
}

// The root tsconfig has no DOM lib (it also covers the server), so the in-page code below sees the
// browser through these minimal shapes.
interface PageAnalyser {
  fftSize: number;
  smoothingTimeConstant: number;
  readonly frequencyBinCount: number;
  getFloatFrequencyData(array: Float32Array): void;
  connect(node: unknown): void;
}
interface PageAudioContext {
  readonly sampleRate: number;
  readonly destination: unknown;
  resume(): Promise<void>;
  createMediaElementSource(element: object): { connect(node: unknown): void };
  createMediaStreamSource(stream: object): { connect(node: unknown): void };
  createAnalyser(): PageAnalyser;
}
interface PageGraph {
  ctx: PageAudioContext;
  analyser: PageAnalyser;
}
interface PageGlobals {
  document: { querySelector(selector: string): object | null };
  AudioContext: new () => PageAudioContext;
  HTMLMediaElement: abstract new () => object;
  MediaStream: abstract new () => object;
  __onairAnalysers?: WeakMap<object, PageGraph>;
}

/**
 * In the page: measure what a media element is playing. AudioContext + createMediaElementSource →
 * AnalyserNode (fftSize 8192) → destination, built once per element and kept on
 * `window.__onairAnalysers` (an element whose srcObject is a MediaStream is tapped with
 * createMediaStreamSource instead, since Chromium does not route it through the element source).
 * Samples the spectrum every ~100 ms for `ms`, averages each bin's power (not its dB value: one
 * silent sample, from a short rebuffer on a loaded machine, then costs a few dB instead of pulling the
 * average toward -200) and returns the strongest bin. The AudioContext must be allowed to run: a
 * driver call that counts as a user gesture (Playwright, puppeteer) or a browser whose autoplay policy
 * allows it.
 */
export async function peakInPage(arg: { selector: string; ms: number }): Promise<PeakMeasurement> {
  const { selector, ms } = arg;
  const SILENCE_DB = -200; // floor for -Infinity bins (digital silence)
  const w = globalThis as unknown as PageGlobals;
  const el = w.document.querySelector(selector);
  if (!(el instanceof w.HTMLMediaElement)) throw new Error(`peakInPage: no media element at ${selector}`);
  w.__onairAnalysers ??= new WeakMap();
  let graph = w.__onairAnalysers.get(el);
  if (!graph) {
    const ctx = new w.AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    const stream = (el as { srcObject?: unknown }).srcObject;
    if (stream instanceof w.MediaStream) {
      // A srcObject-fed element bypasses createMediaElementSource in Chromium (it measures
      // silence); tap the stream itself. The element keeps playing it, so no destination here.
      ctx.createMediaStreamSource(stream).connect(analyser);
    } else {
      ctx.createMediaElementSource(el).connect(analyser);
      analyser.connect(ctx.destination);
    }
    graph = { ctx, analyser };
    w.__onairAnalysers.set(el, graph);
  }
  const { ctx, analyser } = graph;
  await ctx.resume();
  const bins = analyser.frequencyBinCount;
  const sum = new Float64Array(bins);
  const frame = new Float32Array(bins);
  const samples = Math.max(3, Math.round(ms / 100));
  for (let s = 0; s < samples; s++) {
    await new Promise((resolve) => setTimeout(resolve, ms / samples));
    analyser.getFloatFrequencyData(frame);
    for (let i = 0; i < bins; i++) {
      const db = frame[i] ?? Number.NEGATIVE_INFINITY;
      if (Number.isFinite(db)) sum[i] = (sum[i] ?? 0) + 10 ** (db / 10);
    }
  }
  let best = 0;
  for (let i = 1; i < bins; i++) if ((sum[i] ?? 0) > (sum[best] ?? 0)) best = i;
  return {
    peakHz: (best * ctx.sampleRate) / analyser.fftSize,
    peakDb: Math.max(SILENCE_DB, 10 * Math.log10((sum[best] ?? 0) / samples)),
  };
}

/** In the page: the media element's playhead. */
export function playheadInPage(selector: string): Playhead {
  const w = globalThis as unknown as PageGlobals;
  const el = w.document.querySelector(selector) as { currentTime?: number; paused?: boolean } | null;
  if (!el || typeof el.currentTime !== 'number')
    throw new Error(`playheadInPage: no media element at ${selector}`);
  return { t: el.currentTime, paused: el.paused === true };
}

/** In the page: an element's trimmed text, or null when there is no such element. */
export function textInPage(selector: string): string | null {
  const w = globalThis as unknown as PageGlobals;
  const el = w.document.querySelector(selector) as { textContent?: string | null } | null;
  return el ? (el.textContent ?? '').trim() : null;
}

/** A browser tab as the cross-engine checks need it: run a page function, read the result. */
export interface PageDriver {
  /** Runs `fn(arg)` in the page (fn is sent as source text) and resolves with its JSON result. */
  run<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

/** Polls `#selector`'s text until `accept` takes it; fails with the last text seen after `timeoutMs`. */
export async function waitForText(
  page: PageDriver,
  selector: string,
  accept: string | RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await page.run(textInPage, selector);
    if (last !== null && (typeof accept === 'string' ? last === accept : accept.test(last))) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `waitForText: ${selector} is ${JSON.stringify(last)} after ${timeoutMs} ms, wanted ${accept}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Asserts the element is playing: not paused, and currentTime advances by at least half the wall time
 * over `windowMs` (default 2 s) and not much faster. A frozen player advances by 0; one short rebuffer
 * on a loaded 2-core machine (0.3–0.8 s, seen with every engine while browsers, server and encoder
 * share the cores) still passes.
 */
export async function assertPlayheadAdvances(
  page: PageDriver,
  selector = '#player',
  windowMs = 2_000,
): Promise<void> {
  const a = await page.run(playheadInPage, selector);
  const startedMs = Date.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const b = await page.run(playheadInPage, selector);
  const wallS = (Date.now() - startedMs) / 1000;
  assert.equal(b.paused, false, 'audio element is not paused');
  const advanced = b.t - a.t;
  assert.ok(
    advanced > 0.5 * wallS && advanced < 1.5 * wallS,
    `currentTime advanced ${advanced.toFixed(3)} s in ${wallS.toFixed(3)} s`,
  );
}

/** Asserts the element plays a tone at `hz` (±25 Hz, FFT bins are 5–6 Hz wide) above -60 dBFS over 1.5 s. */
export async function assertHearsTone(
  page: PageDriver,
  hz = 440,
  selector = '#player',
): Promise<PeakMeasurement> {
  const peak = await page.run(peakInPage, { selector, ms: 1_500 });
  assert.ok(
    Math.abs(peak.peakHz - hz) < 25,
    `peak at ${peak.peakHz.toFixed(1)} Hz (${peak.peakDb.toFixed(1)} dB), wanted ${hz} Hz`,
  );
  assert.ok(peak.peakDb > -60, `peak level ${peak.peakDb.toFixed(1)} dB is audible`);
  return peak;
}
