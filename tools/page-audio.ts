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
  getFloatTimeDomainData(array: Float32Array): void;
  connect(node: unknown): void;
}
interface PageSource {
  connect(node: unknown): void;
  disconnect(): void;
}
interface PageAudioContext {
  readonly sampleRate: number;
  readonly currentTime: number;
  readonly destination: unknown;
  resume(): Promise<void>;
  createMediaElementSource(element: object): PageSource;
  createMediaStreamSource(stream: object): PageSource;
  createAnalyser(): PageAnalyser;
}
interface PageGraph {
  ctx: PageAudioContext;
  analyser: PageAnalyser;
  /** The tap on the element: its element source, or a source on its srcObject stream. */
  source?: PageSource;
}
interface PageGlobals {
  document: { querySelector(selector: string): object | null };
  AudioContext: new () => PageAudioContext;
  HTMLMediaElement: abstract new () => object;
  MediaStream: abstract new () => object;
  __onairAnalysers?: WeakMap<object, PageGraph>;
  __onairSilence?: Map<string, SilenceReport & { stop(): void }>;
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
    let source: PageSource;
    if (stream instanceof w.MediaStream) {
      // A srcObject-fed element bypasses createMediaElementSource in Chromium (it measures
      // silence); tap the stream itself. The element keeps playing it, so no destination here.
      source = ctx.createMediaStreamSource(stream);
      source.connect(analyser);
    } else {
      source = ctx.createMediaElementSource(el);
      source.connect(analyser);
      analyser.connect(ctx.destination);
    }
    graph = { ctx, analyser, source };
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

/** What the silence meter heard since it started; times in ms of the page's audio clock. */
export interface SilenceReport {
  /** Audio time measured so far. */
  measuredMs: number;
  /** When the tone was first heard (null: not yet); silences before it do not count. */
  firstSoundMs: number | null;
  /** Silences of at least `minGapMs` after the first sound: how many, their total and the longest (the current one included). */
  dropouts: number;
  silentMs: number;
  longestMs: number;
  /** Length of the silence going on now (0 while the tone plays). */
  ongoingMs: number;
  /** Audio time the meter could not read (the page's timers were late by more than its window). */
  unmeasuredMs: number;
  /** The last silences as [start, length] (at most 500). */
  gaps: Array<[number, number]>;
  /**
   * Wall-clock times (Date.now(), ms) at which a marker dip started to play: the tone falling to under
   * half its level for at least 10 ms after at least 500 ms without one (at most 500). The page's
   * graph, not the loudspeaker: the output latency is not added.
   */
  dips: number[];
}

export interface SilenceMeterOptions {
  selector: string;
  /** Below this level (dBFS, on a fast envelope) the output is silent. Default -40. */
  thresholdDb?: number;
  /** A silence shorter than this is not a dropout. Default 20 ms. */
  minGapMs?: number;
}

/**
 * In the page: starts measuring every silence of a media element's output, continuously, until the page
 * closes. Needs the analyser graph peakInPage builds (run peakInPage on the element first). A second
 * AnalyserNode (32768 frames, 0.68 s at 48 kHz) on the same tap is read every 50 ms; each read takes
 * exactly the frames the audio clock advanced since the last one, so no sample is counted twice and a
 * late timer loses nothing up to 0.68 s (beyond that, `unmeasuredMs`). Each sample feeds an envelope
 * (peak with a ~2 ms decay, so a 440 Hz sine's zero crossings are not silence); the envelope below
 * the threshold is silence. When the low-latency player reconnects it gives the element a new
 * MediaStream, which the meter taps in turn. No AudioWorklet, so no CSP exception is needed.
 */
export function silenceMeterInPage(arg: SilenceMeterOptions): void {
  const { selector, thresholdDb = -40, minGapMs = 20 } = arg;
  const POLL_MS = 50;
  const MAX_GAPS = 500;
  const w = globalThis as unknown as PageGlobals;
  const el = w.document.querySelector(selector);
  const graph = el ? w.__onairAnalysers?.get(el) : undefined;
  if (!el || !graph?.source) throw new Error(`silenceMeterInPage: run peakInPage on ${selector} first`);
  w.__onairSilence ??= new Map();
  w.__onairSilence.get(selector)?.stop();
  const { ctx } = graph;
  const sr = ctx.sampleRate;
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 32768;
  graph.source.connect(analyser);
  let stream = (el as { srcObject?: unknown }).srcObject;
  const thr = 10 ** (thresholdDb / 20);
  const decay = Math.exp(-1 / (0.002 * sr));
  const minGap = (minGapMs / 1000) * sr;
  const buf = new Float32Array(analyser.fftSize);
  const start = Math.round(ctx.currentTime * sr);
  let last = start;
  let env = 0;
  let at = 0; // frames since start, at the end of the last read
  let run = 0;
  let firstSound: number | null = null;
  let silent = 0;
  let longest = 0;
  let dropouts = 0;
  let unmeasured = 0;
  const gaps: Array<[number, number]> = [];
  const dips: number[] = [];
  // Marker dips: a slow peak follower (2 s) of the tone's level, and the frames the envelope has been
  // under half of it (while not silent).
  const slowDecay = Math.exp(-1 / (2 * sr));
  let level = 0;
  let dipRun = 0;
  let lastDip = Number.NEGATIVE_INFINITY;
  // Whole frames: at 44.1 kHz 0.01 * sr is 441.00000000000006, which a frame count never equals.
  const DIP_FRAMES = Math.round(0.01 * sr);
  const DIP_GAP_FRAMES = Math.round(0.5 * sr);
  const ms = (frames: number): number => Math.round((frames / sr) * 1000);
  const endRun = (): void => {
    if (firstSound !== null && run >= minGap) {
      dropouts++;
      silent += run;
      longest = Math.max(longest, run);
      gaps.push([ms(at - run), ms(run)]);
      if (gaps.length > MAX_GAPS) gaps.shift();
    }
    run = 0;
  };
  const report: SilenceReport & { stop(): void } = {
    measuredMs: 0,
    firstSoundMs: null,
    dropouts: 0,
    silentMs: 0,
    longestMs: 0,
    ongoingMs: 0,
    unmeasuredMs: 0,
    gaps,
    dips,
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const now = (el as { srcObject?: unknown }).srcObject;
    if (now !== stream && now instanceof w.MediaStream) {
      stream = now;
      graph.source?.disconnect();
      graph.source = ctx.createMediaStreamSource(now);
      graph.source.connect(graph.analyser);
      graph.source.connect(analyser);
    }
    const frame = Math.round(ctx.currentTime * sr);
    let n = frame - last;
    last = frame;
    if (n <= 0) return;
    if (n > buf.length) {
      unmeasured += n - buf.length;
      at += n - buf.length;
      n = buf.length;
    }
    analyser.getFloatTimeDomainData(buf);
    const wallNow = Date.now();
    for (let i = buf.length - n; i < buf.length; i++) {
      env = Math.max(Math.abs(buf[i] ?? 0), env * decay);
      at++;
      level = Math.max(env, level * slowDecay);
      if (env >= thr && env < 0.5 * level) {
        dipRun++;
        if (dipRun === DIP_FRAMES && at - dipRun - lastDip > DIP_GAP_FRAMES) {
          lastDip = at - dipRun;
          // The dip began `dipRun` frames before this one, which played buf.length - 1 - i frames ago.
          dips.push(wallNow - ((buf.length - 1 - i + dipRun) / sr) * 1000);
          if (dips.length > MAX_GAPS) dips.shift();
        }
      } else {
        dipRun = 0;
      }
      if (env >= thr) {
        if (firstSound === null) firstSound = at;
        else if (run > 0) endRun();
        run = 0;
      } else if (firstSound !== null) {
        run++;
      }
    }
    const ongoing = run >= minGap ? run : 0;
    report.measuredMs = ms(at);
    report.firstSoundMs = firstSound === null ? null : ms(firstSound);
    report.dropouts = dropouts + (ongoing > 0 ? 1 : 0);
    report.silentMs = ms(silent + ongoing);
    report.longestMs = ms(Math.max(longest, ongoing));
    report.ongoingMs = ms(ongoing);
    report.unmeasuredMs = ms(unmeasured);
  }, POLL_MS);
  w.__onairSilence.set(selector, report);
}

/** In the page: the silence meter's report so far (see silenceMeterInPage). */
export function silenceInPage(selector: string): SilenceReport {
  const w = globalThis as unknown as PageGlobals;
  const r = w.__onairSilence?.get(selector);
  if (!r) throw new Error(`silenceInPage: no meter on ${selector}`);
  return {
    measuredMs: r.measuredMs,
    firstSoundMs: r.firstSoundMs,
    dropouts: r.dropouts,
    silentMs: r.silentMs,
    longestMs: r.longestMs,
    ongoingMs: r.ongoingMs,
    unmeasuredMs: r.unmeasuredMs,
    gaps: r.gaps.slice(),
    dips: r.dips.slice(),
  };
}

/** Starts the silence meter on a page's element (builds the analyser graph first with a short peak read). */
export async function startSilenceMeter(page: PageDriver, options: SilenceMeterOptions): Promise<void> {
  await page.run(peakInPage, { selector: options.selector, ms: 300 });
  await page.run(silenceMeterInPage, options);
}

/** In the page: the media element's playhead. */
export function playheadInPage(selector: string): Playhead {
  const w = globalThis as unknown as PageGlobals;
  const el = w.document.querySelector(selector) as { currentTime?: number; paused?: boolean } | null;
  if (!el || typeof el.currentTime !== 'number')
    throw new Error(`playheadInPage: no media element at ${selector}`);
  return { t: el.currentTime, paused: el.paused === true };
}

/** In the page: from now on, records every text `selector` shows (window.__onairTexts[selector], at most 1000). */
export function recordTextsInPage(selector: string): void {
  const w = globalThis as unknown as {
    document: { querySelector(s: string): { textContent: string | null } | null };
    MutationObserver: new (cb: () => void) => { observe(node: object, opts: object): void };
    __onairTexts?: Record<string, string[]>;
  };
  const el = w.document.querySelector(selector);
  if (!el) throw new Error(`recordTextsInPage: no ${selector}`);
  w.__onairTexts ??= {};
  const log: string[] = [(el.textContent ?? '').trim()];
  w.__onairTexts[selector] = log;
  new w.MutationObserver(() => {
    const text = (el.textContent ?? '').trim();
    if (log[log.length - 1] !== text) log.push(text);
    if (log.length > 1000) log.shift();
  }).observe(el, { childList: true, characterData: true, subtree: true });
}

/** In the page: the texts recorded by recordTextsInPage, in order (repeats collapsed). */
export function recordedTextsInPage(selector: string): string[] {
  const w = globalThis as unknown as { __onairTexts?: Record<string, string[]> };
  return [...(w.__onairTexts?.[selector] ?? [])];
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
 * Waits until the element has played steadily for `steadyMs`: not paused and currentTime keeping up with
 * the wall clock (at least 0.9× over the run, no step below half of it), read every 100 ms. A player
 * whose buffer target is still growing to fit a bursty source rebuffers, which restarts the run; one
 * that never plays steadily fails after `timeoutMs` with its playhead.
 */
export async function waitForSteadyPlayhead(
  page: PageDriver,
  selector = '#player',
  steadyMs = 2_000,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let run = { at: Date.now(), t: (await page.run(playheadInPage, selector)).t };
  let last = run;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = Date.now();
    const head = await page.run(playheadInPage, selector);
    const stepWallS = (now - last.at) / 1000;
    if (head.paused || head.t - last.t < 0.5 * stepWallS) run = { at: now, t: head.t };
    last = { at: now, t: head.t };
    const runWallS = (now - run.at) / 1000;
    if (now - run.at >= steadyMs && head.t - run.t >= 0.9 * runWallS) return;
    if (now > deadline) {
      throw new Error(
        `waitForSteadyPlayhead: ${selector} did not play steadily for ${steadyMs} ms within ${timeoutMs} ms (at ${head.t.toFixed(3)} s, paused ${head.paused})`,
      );
    }
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
