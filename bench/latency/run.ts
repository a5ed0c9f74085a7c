/**
 * Latency bench (prints figures; not a test). Run after the build:
 *   node build/node/bench/latency/run.js [--bursts 50] [--cycles 10] [--out result.json]
 *     [--on-ms 150] [--period-ms 1000] [--warmup-ms 3000] [--threshold 0.05]
 *     [--variants stream:mse:100,stream:packets:20,stream:packets:20:500,…]
 *
 * For each variant — upload transport (`stream`: streaming upload over HTTPS/HTTP2, `chunks`: per-chunk
 * upload over plain HTTP), listener player (`mse`, or `packets`: WebCodecs + jitter-buffer worklet; `lowlat` is its old name) and
 * recorder timeslice in ms — side by side in one run, in real Chromium with a fake microphone playing
 * 440 Hz tone bursts:
 * 1. Glass-to-glass: burst onsets seen on the broadcaster's microphone stream vs burst onsets played by
 *    an already-open listener's `<audio id="player">`. Both pages tap the audio with an AudioWorklet that
 *    finds the onset sample (first |x| > threshold after ≥ 300 ms below it) and converts its frame to
 *    wall-clock ms with the context's getOutputTimestamp(). The same mapping on both sides makes the
 *    figure "Web Audio graph (mic) → Web Audio graph (listener)", the same reference as the earlier
 *    measurements (an AnalyserNode on the mic stream vs one on the listener's `<audio>`); an
 *    AnalyserNode polled every 2 ms on the main thread gives an independent cross-check. A listener
 *    onset matches the latest capture onset before it, so latencies above one period would alias.
 * 2. Go live → listener `#status` reads "The stream is started" (and → first audio), over `--cycles`
 *    Go live / Stop cycles against the same open listener, with the server's log times for a breakdown
 *    and the G2G of the first burst of each broadcast (G2G is fixed within a broadcast, so this shows
 *    how it varies between broadcasts).
 * The browser context bypasses the pages' CSP, which would refuse the probe's blob: worklet module.
 * Exits non-zero when the measurement itself failed (too few bursts, a cycle timed out).
 */
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, writeToneWav } from '../../tools/chromium.js';
import { startTestServer, type TestServer } from '../../tools/server.js';

const { values } = parseArgs({
  options: {
    bursts: { type: 'string', default: '50' },
    cycles: { type: 'string', default: '10' },
    out: { type: 'string' },
    'on-ms': { type: 'string', default: '150' },
    'period-ms': { type: 'string', default: '1000' },
    'warmup-ms': { type: 'string', default: '3000' },
    threshold: { type: 'string', default: '0.05' },
    variants: {
      type: 'string',
      default:
        'stream:mse:100,stream:packets:100,stream:packets:60,stream:packets:20,chunks:packets:20,chunks:mse:100',
    },
  },
});
const BURSTS = Number(values.bursts);
const CYCLES = Number(values.cycles);
const ON_MS = Number(values['on-ms']);
const PERIOD_MS = Number(values['period-ms']);
const WARMUP_MS = Number(values['warmup-ms']);
const THRESHOLD = Number(values.threshold);
/** Below the threshold for this long before a crossing counts as a new burst. */
const QUIET_MS = 300;
/** A listener onset matches the latest capture onset before it, at most this much earlier. */
const MATCH_WINDOW_MS = 2000;
/** Main-thread poll period of the cross-check AnalyserNode and of the `currentTime > 0` watch. */
const POLL_MS = 2;
const STARTED = 'The stream is started';
const OFFLINE = 'OFFLINE';
const TARGETS = { g2gP50: 300, g2gP90: 500, startedP50: 200 };
for (const [name, v] of Object.entries({ BURSTS, CYCLES, ON_MS, PERIOD_MS, WARMUP_MS, THRESHOLD })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad --${name.toLowerCase()}: ${v}`);
}

const TRANSPORTS = [
  { id: 'stream', name: 'streaming upload, HTTPS/HTTP2', label: 'streaming upload (HTTP/2)', secure: true },
  { id: 'chunks', name: 'per-chunk upload, plain HTTP', label: 'per-chunk upload', secure: false },
] as const;
type TransportSpec = (typeof TRANSPORTS)[number];
/** Targets of the low-latency player (issue 7). */
const PACKETS_TARGETS = { g2gP50: 200, g2gP90: 250, underrunsPerMin: 1 };

/**
 * One configuration measured: upload transport, listener player (`?player=`), recorder timeslice
 * (`?timeslice=`), and optionally a crowd: that many more listeners of the packet stream (raw
 * sockets that read and discard) while the bursts play. The bench's server counts as busy always
 * (`packetCoalesceLoadPct` 0), so a crowd of 500 or more turns the low-latency output's adaptive
 * write window on: that variant shows what the window costs; without a crowd it is off.
 */
interface Variant {
  id: string;
  transport: TransportSpec;
  player: 'mse' | 'packets';
  timeslice: number;
  crowd: number;
}
const VARIANTS: Variant[] = (values.variants ?? '').split(',').map((spec) => {
  const [t, named, slice, crowd = '0'] = spec.trim().split(':');
  // `lowlat` is the packets player's old name, kept so earlier command lines still run.
  const player = named === 'lowlat' ? 'packets' : named;
  const transport = TRANSPORTS.find((x) => x.id === t);
  if (!transport || (player !== 'mse' && player !== 'packets') || !Number(slice) || !(Number(crowd) >= 0)) {
    throw new Error(
      `bad --variants entry "${spec}": use transport:player:timeslice[:crowd], e.g. stream:packets:20`,
    );
  }
  const id = `${t}/${player}/${slice}ms${Number(crowd) > 0 ? `/+${crowd}` : ''}`;
  return { id, transport, player, timeslice: Number(slice), crowd: Number(crowd) };
});

/**
 * Opens `n` listeners of the packet stream at `url` on raw sockets that discard what they read;
 * resolves once each has its first bytes. They end when the broadcast does.
 */
async function openCrowd(url: URL, n: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(Number(url.port), url.hostname, () =>
            s.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`),
          );
          const t = setTimeout(() => reject(new Error('crowd listener got no bytes in 10 s')), 10_000);
          s.once('data', () => {
            clearTimeout(t);
            resolve();
          });
          s.on('data', () => {});
          s.on('error', () => s.destroy());
        }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------
// In-page probe (runs in the browser; only its arguments cross over).

/** AudioWorklet module: posts the frame of every burst onset, and a heartbeat about once a second. */
const WORKLET_SOURCE = `
class OnairOnset extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.threshold = options.processorOptions.threshold;
    this.quietFrames = Math.round((options.processorOptions.quietMs * sampleRate) / 1000);
    this.lastLoud = -Infinity;
    this.nextBeat = 0;
  }
  process(inputs) {
    const channels = inputs[0] || [];
    const n = channels.length > 0 ? channels[0].length : 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let c = 0; c < channels.length; c++) v = Math.max(v, Math.abs(channels[c][i]));
      if (v > this.threshold) {
        const frame = currentFrame + i;
        if (frame - this.lastLoud >= this.quietFrames) this.port.postMessage({ type: 'onset', frame, level: v });
        this.lastLoud = frame;
      }
    }
    if (currentFrame >= this.nextBeat) {
      this.nextBeat = currentFrame + sampleRate;
      this.port.postMessage({ type: 'beat', frame: currentFrame, channels: channels.length });
    }
    return true;
  }
}
registerProcessor('onair-onset', OnairOnset);
`;

interface Onset {
  /** Wall-clock ms of the onset sample, from getOutputTimestamp(); NaN when the context gave none. */
  wall: number;
  /** Wall-clock ms the main thread got the worklet's message. */
  recv: number;
  /** Listener only: audio.buffered end − currentTime (s) when the message came. */
  ahead: number | null;
}
interface Probe {
  kind: 'capture' | 'playout';
  sampleRate: number;
  baseLatency: number;
  outputLatency: number;
  beats: number;
  channels: number;
  onsets: Onset[];
  /** Cross-check: onsets found by polling an AnalyserNode on the main thread (wall-clock ms). */
  pollOnsets: number[];
  /** Listener only: [wall ms, buffered ahead s, playbackRate] every 100 ms. */
  buffer: Array<[number, number, number]>;
  /** Listener only: 'waiting' events (rebuffers) as wall-clock ms. */
  waiting: number[];
}
interface Marks {
  /** Broadcaster: capture-phase clicks on #golive. */
  golive: number[];
  /** Listener: every change of #status text. */
  status: Array<[number, string]>;
  /** Listener: 'playing' events of #player. */
  playing: number[];
  /** Listener: #player currentTime went from 0 to > 0. */
  progressed: number[];
}
interface BenchWindow {
  /** The newest microphone stream the page got from getUserMedia (see {@link captureMicStreams}). */
  __benchMic?: MediaStream;
  __benchProbe?: Probe;
  __benchMarks?: Marks;
  __benchCtx?: AudioContext;
}

/**
 * Injected into the broadcaster page before its scripts (`addInitScript`): keeps the newest stream
 * `getUserMedia` gives the page on `window.__benchMic`, so the capture probe can tap the microphone
 * the broadcast records. The page itself exposes nothing for the bench.
 */
function captureMicStreams(): void {
  const md = navigator.mediaDevices;
  const getUserMedia = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints?: MediaStreamConstraints): Promise<MediaStream> => {
    const stream = await getUserMedia(constraints);
    (window as unknown as BenchWindow).__benchMic = stream;
    return stream;
  };
}

interface ProbeArgs {
  kind: 'capture' | 'playout';
  workletSource: string;
  threshold: number;
  quietMs: number;
  pollMs: number;
}

function probeArgs(kind: ProbeArgs['kind']): ProbeArgs {
  return { kind, workletSource: WORKLET_SOURCE, threshold: THRESHOLD, quietMs: QUIET_MS, pollMs: POLL_MS };
}

async function installProbe(args: ProbeArgs): Promise<{ sampleRate: number; state: string }> {
  const w = window as unknown as BenchWindow;
  const wall = (): number => performance.timeOrigin + performance.now();
  // One probe per page: a new capture probe (a new broadcast has a new microphone stream) replaces the old.
  await w.__benchCtx?.close();
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  w.__benchCtx = ctx;
  const player = document.querySelector('#player') as HTMLAudioElement | null;
  let source: AudioNode;
  if (args.kind === 'capture') {
    const stream = w.__benchMic;
    if (!stream) throw new Error('window.__benchMic is not set: the page has not opened a microphone');
    source = ctx.createMediaStreamSource(stream);
  } else {
    if (!player) throw new Error('no #player');
    if (player.srcObject instanceof MediaStream) {
      // The low-latency player feeds the element a MediaStream: tap the stream (an element source
      // would measure silence in Chromium); the element keeps playing it.
      source = ctx.createMediaStreamSource(player.srcObject);
    } else {
      source = ctx.createMediaElementSource(player);
      source.connect(ctx.destination);
    }
  }
  const url = URL.createObjectURL(new Blob([args.workletSource], { type: 'text/javascript' }));
  await ctx.audioWorklet.addModule(url);
  const node = new AudioWorkletNode(ctx, 'onair-onset', {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    processorOptions: { threshold: args.threshold, quietMs: args.quietMs },
  });
  // The worklet is pulled through a muted gain so it runs without adding to what is heard.
  const mute = ctx.createGain();
  mute.gain.value = 0;
  source.connect(node);
  node.connect(mute);
  mute.connect(ctx.destination);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);

  const probe: Probe = {
    kind: args.kind,
    sampleRate: ctx.sampleRate,
    baseLatency: ctx.baseLatency,
    outputLatency: 0,
    beats: 0,
    channels: 0,
    onsets: [],
    pollOnsets: [],
    buffer: [],
    waiting: [],
  };
  const ahead = (): number | null => {
    // The low-latency player reports its jitter buffer on the element.
    if (player?.dataset.bufferMs !== undefined) return Number(player.dataset.bufferMs) / 1000;
    if (!player || player.buffered.length === 0) return null;
    return player.buffered.end(player.buffered.length - 1) - player.currentTime;
  };
  node.port.onmessage = (ev: MessageEvent<{ type: string; frame: number; channels?: number }>) => {
    const recv = wall();
    const ts = ctx.getOutputTimestamp();
    probe.outputLatency = ctx.outputLatency;
    if (ev.data.type === 'beat') {
      probe.beats++;
      probe.channels = ev.data.channels ?? 0;
      return;
    }
    const ok = (ts.performanceTime ?? 0) > 0 && ts.contextTime !== undefined;
    const at = ok
      ? performance.timeOrigin +
        (ts.performanceTime as number) +
        (ev.data.frame / ctx.sampleRate - (ts.contextTime as number)) * 1000
      : Number.NaN;
    probe.onsets.push({ wall: at, recv, ahead: args.kind === 'playout' ? ahead() : null });
  };

  // Cross-check: the earlier measurements' way, an AnalyserNode polled on the main thread.
  const frame = new Float32Array(analyser.fftSize);
  let lastLoud = Number.NEGATIVE_INFINITY;
  const poll = setInterval(() => {
    if (ctx.state === 'closed') {
      clearInterval(poll);
      return;
    }
    const t = wall();
    analyser.getFloatTimeDomainData(frame);
    let first = -1;
    for (let i = 0; i < frame.length; i++) {
      if (Math.abs(frame[i] ?? 0) > args.threshold) {
        first = i;
        break;
      }
    }
    if (first < 0) return;
    // The window ends at the newest rendered sample; place the crossing inside it.
    const onset = t - ((frame.length - first) * 1000) / ctx.sampleRate;
    if (onset - lastLoud >= args.quietMs) probe.pollOnsets.push(onset);
    lastLoud = t;
  }, args.pollMs);

  if (player) {
    setInterval(() => {
      const a = ahead();
      if (a !== null) probe.buffer.push([wall(), a, player.playbackRate]);
    }, 100);
    player.addEventListener('waiting', () => probe.waiting.push(wall()));
  }
  w.__benchProbe = probe;
  await ctx.resume();
  return { sampleRate: ctx.sampleRate, state: ctx.state };
}

/** Marks for the Go-live cycles: clicks on #golive (broadcaster), #status text and playback (listener). */
function installMarks(pollMs: number): void {
  const w = window as unknown as BenchWindow;
  const wall = (): number => performance.timeOrigin + performance.now();
  const marks: Marks = { golive: [], status: [], playing: [], progressed: [] };
  w.__benchMarks = marks;
  // Capture phase on the document: runs before the page's own handlers.
  document.addEventListener(
    'click',
    (ev) => {
      const target = ev.target as Element | null;
      if (target?.closest?.('#golive')) marks.golive.push(wall());
    },
    true,
  );
  let last = '';
  const check = (): void => {
    const text = (document.querySelector('#status')?.textContent ?? '').trim();
    if (text !== last) {
      last = text;
      marks.status.push([wall(), text]);
    }
  };
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
  check();
  const player = document.querySelector('#player') as HTMLAudioElement | null;
  if (player) {
    player.addEventListener('playing', () => marks.playing.push(wall()));
    let wasZero = true;
    setInterval(() => {
      const zero = !(player.currentTime > 0);
      if (wasZero && !zero) marks.progressed.push(wall());
      wasZero = zero;
    }, pollMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Node side.

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

interface Stats {
  n: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}
function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
  };
}
const r1 = (x: number): number => Math.round(x * 10) / 10;
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');
const mark = (ok: boolean): string => (ok ? '✓' : '✗');

/** Each listener onset matched to the latest capture onset before it (within the window). */
function match(capture: number[], listener: number[]): Array<{ capture: number; listener: number }> {
  const out: Array<{ capture: number; listener: number }> = [];
  for (const l of listener) {
    let best: number | undefined;
    for (const c of capture)
      if (c < l && l - c <= MATCH_WINDOW_MS && (best === undefined || c > best)) best = c;
    if (best !== undefined) out.push({ capture: best, listener: l });
  }
  return out;
}

async function pageClock(page: Page): Promise<number> {
  return page.evaluate(() => performance.timeOrigin + performance.now());
}

/** Offset of a page's wall clock against Node's (ms), from the lowest-round-trip of 7 tries. */
async function clockOffset(page: Page): Promise<{ offset: number; rtt: number }> {
  let best = { offset: Number.NaN, rtt: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 7; i++) {
    const t0 = performance.timeOrigin + performance.now();
    const p = await pageClock(page);
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rtt) best = { offset: p - (t0 + t1) / 2, rtt: t1 - t0 };
  }
  return best;
}

async function waitForStatus(page: Page, text: string, timeoutMs = 10_000): Promise<void> {
  await page.locator('#status', { hasText: new RegExp(`^\\s*${text}\\s*$`) }).waitFor({ timeout: timeoutMs });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface G2GResult extends Stats {
  requested: number;
  captureOnsets: number;
  listenerOnsets: number;
  unmatched: number;
  /** G2G from the main-thread AnalyserNode poll (cross-check). */
  pollP50: number;
  pollN: number;
  /** Listener's audio.buffered end − currentTime (ms), sampled every 100 ms during the measurement. */
  bufferAheadP50Ms: number;
  bufferAheadP90Ms: number;
  /** Median of G2G − buffer ahead at that onset: capture → chunk → server → listener's buffer end. */
  upstreamP50Ms: number;
  playbackRateMax: number;
  rebuffers: number;
  /** Low-latency player: jitter-buffer underruns during the measurement, per minute. */
  underrunsPerMin: number | null;
  listenerOutputLatencyMs: number;
  captureOutputLatencyMs: number;
  samples: number[];
  /** Listener buffer during the measurement, every 100 ms: [ms since start, ahead ms, playbackRate]. */
  bufferTrace: Array<[number, number, number]>;
  /** Listener onsets (ms since start) and 'waiting' events (ms since start). */
  listenerOnsetsAt: number[];
  rebuffersAt: number[];
}
interface CycleSample {
  /** Go live click → listener #status reads "The stream is started". */
  started: number;
  /** → listener 'playing' event. */
  playing: number;
  /** → listener currentTime > 0. */
  progressed: number;
  /** → server log "ingest session started" (session POST handled). */
  session: number;
  /** → server log "mount live" (init segment parsed from the first upload). */
  live: number;
  /** G2G of the first burst heard in this broadcast (null when none came in time). */
  g2g: number | null;
}
interface CycleResult {
  started: Stats;
  playing: Stats;
  progressed: Stats;
  session: Stats;
  live: Stats;
  /** G2G across sessions: one burst per Go live. */
  g2g: Stats;
  samples: CycleSample[];
  failures: string[];
}
interface TransportResult {
  variant: string;
  player: Variant['player'];
  timeslice: number;
  transport: TransportSpec['id'];
  name: string;
  url: string;
  clockSkewMs: number;
  g2g: G2GResult;
  cycles: CycleResult;
}

/** The low-latency player's underrun count (`#player[data-underruns]`), null for MSE. */
function underruns(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const v = (document.querySelector('#player') as HTMLAudioElement).dataset.underruns;
    return v === undefined ? null : Number(v);
  });
}

async function measureG2G(
  host: Page,
  listener: Page,
  variant: Variant,
  server: TestServer,
): Promise<G2GResult> {
  const transport = variant.transport;
  const key = await host.evaluate(() => {
    const w = window as unknown as BenchWindow;
    return w.__benchMic?.id ?? null;
  });
  await host.click('#golive');
  await waitForStatus(listener, STARTED);
  if (variant.crowd > 0) await openCrowd(new URL(`${server.baseUrl}/live.pkt`), variant.crowd);
  await host.locator('#transport', { hasText: transport.label }).waitFor({ timeout: 5_000 });
  await host.waitForFunction(
    (prev) => {
      const w = window as unknown as BenchWindow;
      const s = w.__benchMic;
      return s !== undefined && s.id !== prev && s.getAudioTracks().some((t) => t.readyState === 'live');
    },
    key,
    { timeout: 5_000 },
  );
  await host.evaluate(installProbe, probeArgs('capture'));
  await listener.waitForFunction(
    () => (document.querySelector('#player') as HTMLAudioElement).currentTime > 0,
    null,
    { timeout: 10_000 },
  );
  // The low-latency player's MediaStream exists only now: tap it.
  if (variant.player === 'packets') await listener.evaluate(installProbe, probeArgs('playout'));
  await sleep(WARMUP_MS);
  const from = await pageClock(listener);
  const underrunsFrom = await underruns(listener);
  const deadline = Date.now() + BURSTS * PERIOD_MS + 8_000;
  const read = (page: Page): Promise<Probe> =>
    page.evaluate(() => (window as unknown as BenchWindow).__benchProbe as Probe);
  let cap: Probe;
  let lis: Probe;
  for (;;) {
    await sleep(500);
    [cap, lis] = await Promise.all([read(host), read(listener)]);
    const got = lis.onsets.filter((o) => o.recv >= from).length;
    if (got >= BURSTS || Date.now() > deadline) break;
  }
  const to = await pageClock(listener);
  const underrunsTo = await underruns(listener);
  await host.click('#stop');
  await waitForStatus(listener, OFFLINE);
  await host.locator('#golive:not([disabled])').waitFor({ timeout: 10_000 });

  const when = (o: Onset): number => (Number.isFinite(o.wall) ? o.wall : o.recv);
  const capOn = cap.onsets.map(when);
  const lisOnsets = lis.onsets.filter((o) => o.recv >= from).slice(0, BURSTS);
  const pairs = match(capOn, lisOnsets.map(when));
  const g2g = pairs.map((p) => p.listener - p.capture);
  const upstream: number[] = [];
  for (const o of lisOnsets) {
    const m = match(capOn, [when(o)])[0];
    if (m && o.ahead !== null) upstream.push(m.listener - m.capture - o.ahead * 1000);
  }
  const pollLis = lis.pollOnsets.filter((t) => t >= from).slice(0, BURSTS);
  const pollG2G = match(cap.pollOnsets, pollLis).map((p) => p.listener - p.capture);
  const window_ = lis.buffer.filter(([t]) => t >= from && t <= to);
  const ahead = stats(window_.map(([, a]) => a * 1000));
  const s = stats(g2g);
  return {
    ...s,
    requested: BURSTS,
    captureOnsets: cap.onsets.length,
    listenerOnsets: lisOnsets.length,
    unmatched: lisOnsets.length - pairs.length,
    pollP50: stats(pollG2G).p50,
    pollN: pollG2G.length,
    bufferAheadP50Ms: ahead.p50,
    bufferAheadP90Ms: ahead.p90,
    upstreamP50Ms: stats(upstream).p50,
    playbackRateMax: Math.max(1, ...window_.map(([, , r]) => r)),
    rebuffers: lis.waiting.filter((t) => t >= from && t <= to).length,
    underrunsPerMin:
      underrunsFrom === null || underrunsTo === null
        ? null
        : ((underrunsTo - underrunsFrom) * 60_000) / (to - from),
    listenerOutputLatencyMs: (lis.baseLatency + lis.outputLatency) * 1000,
    captureOutputLatencyMs: (cap.baseLatency + cap.outputLatency) * 1000,
    samples: g2g.map(r1),
    bufferTrace: window_.map(([t, a, rate]) => [Math.round(t - from), r1(a * 1000), rate]),
    listenerOnsetsAt: lisOnsets.map((o) => Math.round(when(o) - from)),
    rebuffersAt: lis.waiting.filter((t) => t >= from && t <= to).map((t) => Math.round(t - from)),
  };
}

/** Wall-clock ms (page clock) of the first server log line `msg` at or after `since`. */
function logTime(server: TestServer, msg: string, since: number, nodeToPage: number): number {
  for (const line of server.logs) {
    if (line.msg !== msg || typeof line.time !== 'string') continue;
    const t = Date.parse(line.time) + nodeToPage;
    // Log times have 1 ms resolution.
    if (t >= since - 1) return t;
  }
  return Number.NaN;
}

/** G2G of the first listener onset after `since` that has a capture onset before it, or null. */
async function firstBurstG2G(
  host: Page,
  listener: Page,
  since: number,
  timeoutMs: number,
): Promise<number | null> {
  const read = (page: Page): Promise<Onset[]> =>
    page.evaluate(() => ((window as unknown as BenchWindow).__benchProbe as Probe).onsets);
  const when = (o: Onset): number => (Number.isFinite(o.wall) ? o.wall : o.recv);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(100);
    const [cap, lis] = await Promise.all([read(host), read(listener)]);
    const heard = lis.filter((o) => o.recv >= since).map(when);
    const m = match(cap.map(when), heard)[0];
    if (m) return m.listener - m.capture;
  }
  return null;
}

async function measureCycles(
  server: TestServer,
  host: Page,
  listener: Page,
  nodeToHost: number,
  variant: Variant,
): Promise<CycleResult> {
  const samples: CycleSample[] = [];
  const failures: string[] = [];
  const marks = (page: Page): Promise<Marks> =>
    page.evaluate(() => (window as unknown as BenchWindow).__benchMarks as Marks);
  for (let i = 0; i < CYCLES; i++) {
    try {
      await host.locator('#golive:not([disabled])').waitFor({ timeout: 10_000 });
      await waitForStatus(listener, OFFLINE);
      const before = (await marks(listener)).playing.length;
      await host.click('#golive');
      await waitForStatus(listener, STARTED);
      await listener.waitForFunction(
        (n) => ((window as unknown as BenchWindow).__benchMarks as Marks).playing.length > n,
        before,
        { timeout: 10_000 },
      );
      await listener.waitForFunction(
        () => (document.querySelector('#player') as HTMLAudioElement).currentTime > 0,
        null,
        { timeout: 10_000 },
      );
      // Each broadcast gives the low-latency player a new MediaStream: tap the new one.
      if (variant.player === 'packets') await listener.evaluate(installProbe, probeArgs('playout'));
      const [h, l] = await Promise.all([marks(host), marks(listener)]);
      const t0 = h.golive[h.golive.length - 1] as number;
      const started = l.status.find(([t, text]) => t >= t0 && text === STARTED)?.[0];
      const playing = l.playing.find((t) => t >= t0);
      const progressed = l.progressed.find((t) => t >= t0);
      if (started === undefined || playing === undefined || progressed === undefined) {
        throw new Error('marks missing');
      }
      // One burst per broadcast: how G2G varies between sessions (it is fixed within one).
      await host.evaluate(installProbe, probeArgs('capture'));
      const g2g = await firstBurstG2G(host, listener, await pageClock(listener), PERIOD_MS * 2 + 2_000);
      samples.push({
        started: r1(started - t0),
        playing: r1(playing - t0),
        progressed: r1(progressed - t0),
        session: r1(logTime(server, 'ingest session started', t0, nodeToHost) - t0),
        live: r1(logTime(server, 'mount live', t0, nodeToHost) - t0),
        g2g: g2g === null ? null : r1(g2g),
      });
      await host.click('#stop');
      await waitForStatus(listener, OFFLINE);
    } catch (err) {
      failures.push(`cycle ${i + 1}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      await host.click('#stop').catch(() => {});
    }
  }
  return {
    started: stats(samples.map((s) => s.started)),
    playing: stats(samples.map((s) => s.playing)),
    progressed: stats(samples.map((s) => s.progressed)),
    session: stats(samples.map((s) => s.session).filter(Number.isFinite)),
    live: stats(samples.map((s) => s.live).filter(Number.isFinite)),
    g2g: stats(samples.flatMap((s) => (s.g2g === null ? [] : [s.g2g]))),
    samples,
    failures,
  };
}

async function runVariant(browser: Browser, server: TestServer, variant: Variant): Promise<TransportResult> {
  const transport = variant.transport;
  const base = transport.secure ? server.httpsUrl : server.baseUrl;
  // bypassCSP: the pages' CSP (script-src 'self') would refuse the probe's blob: AudioWorklet module.
  const context: BrowserContext = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  try {
    const listener = await context.newPage();
    await listener.goto(`${base}/?player=${variant.player}`);
    await waitForStatus(listener, OFFLINE);
    await listener.evaluate(installMarks, POLL_MS);
    if (variant.player === 'mse') await listener.evaluate(installProbe, probeArgs('playout'));
    const host = await context.newPage();
    await host.addInitScript(captureMicStreams);
    await host.goto(`${base}/broadcast?timeslice=${variant.timeslice}`);
    await host.fill('#key', server.streamKey);
    await host.evaluate(installMarks, POLL_MS);
    const [lc, hc] = await Promise.all([clockOffset(listener), clockOffset(host)]);
    const clockSkewMs = lc.offset - hc.offset;

    process.stderr.write(`[${variant.id}] glass-to-glass, ${BURSTS} bursts…\n`);
    const g2g = await measureG2G(host, listener, variant, server);
    process.stderr.write(`[${variant.id}] go live cycles ×${CYCLES}…\n`);
    const cycles = await measureCycles(server, host, listener, hc.offset, variant);
    return {
      variant: variant.id,
      player: variant.player,
      timeslice: variant.timeslice,
      transport: transport.id,
      name: `${variant.player === 'packets' ? 'low latency' : 'MSE'}, ${transport.id === 'stream' ? 'streaming' : 'per-chunk'}, timeslice ${variant.timeslice}${variant.crowd > 0 ? `, ${variant.crowd} more listeners (write window on)` : ''}`,
      url: base,
      clockSkewMs: r1(clockSkewMs),
      g2g,
      cycles,
    };
  } finally {
    await context.close();
  }
}

function printTransport(r: TransportResult): void {
  const g = r.g2g;
  const c = r.cycles;
  const t = r.player === 'packets' ? PACKETS_TARGETS : TARGETS;
  console.log(`\n## ${r.name} (${r.url})`);
  console.log(
    `glass-to-glass  n=${g.n}/${g.requested}  p50 ${fmt(g.p50)} ms ${mark(g.p50 <= t.g2gP50)} (target ≤ ${t.g2gP50})` +
      `  p90 ${fmt(g.p90)} ms ${mark(g.p90 <= t.g2gP90)} (target ≤ ${t.g2gP90})  min ${fmt(g.min)}  max ${fmt(g.max)}` +
      (g.underrunsPerMin === null
        ? ''
        : `  underruns/min ${g.underrunsPerMin.toFixed(2)} ${mark(g.underrunsPerMin < PACKETS_TARGETS.underrunsPerMin)} (target < ${PACKETS_TARGETS.underrunsPerMin})`),
  );
  console.log(
    `  listener buffer ahead p50 ${fmt(g.bufferAheadP50Ms)} ms (p90 ${fmt(g.bufferAheadP90Ms)}); ` +
      `G2G − buffer ahead (capture → listener's buffer end) p50 ${fmt(g.upstreamP50Ms)} ms`,
  );
  console.log(
    `  playbackRate max ${g.playbackRateMax.toFixed(2)}, rebuffers ${g.rebuffers}; ` +
      `onsets: capture ${g.captureOnsets}, listener ${g.listenerOnsets}, unmatched ${g.unmatched}; ` +
      `cross-check (AnalyserNode poll) p50 ${fmt(g.pollP50)} ms, n=${g.pollN}`,
  );
  console.log(
    `  Web Audio output latency (base+output): listener ${fmt(g.listenerOutputLatencyMs)} ms, capture ${fmt(g.captureOutputLatencyMs)} ms; ` +
      `page clock skew listener−broadcaster ${r.clockSkewMs} ms`,
  );
  console.log(`  G2G samples (ms): ${g.samples.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(
    `go live → "${STARTED}"  n=${c.started.n}/${CYCLES}  p50 ${fmt(c.started.p50)} ms ${mark(c.started.p50 <= TARGETS.startedP50)} (target ≤ ${TARGETS.startedP50})` +
      `  p90 ${fmt(c.started.p90)}  min ${fmt(c.started.min)}  max ${fmt(c.started.max)}`,
  );
  console.log(
    `go live → first audio  'playing' p50 ${fmt(c.playing.p50)} ms (min ${fmt(c.playing.min)}, max ${fmt(c.playing.max)}); ` +
      `currentTime > 0 p50 ${fmt(c.progressed.p50)} ms`,
  );
  console.log(
    `  breakdown p50: click → session POST handled ${fmt(c.session.p50)} ms → mount live (first upload's init parsed) ${fmt(c.live.p50)} ms` +
      ` → listener status ${fmt(c.started.p50)} ms → 'playing' ${fmt(c.playing.p50)} ms`,
  );
  console.log(
    `  G2G across sessions (first burst of each Go live) n=${c.g2g.n}  p50 ${fmt(c.g2g.p50)}  p90 ${fmt(c.g2g.p90)}  min ${fmt(c.g2g.min)}  max ${fmt(c.g2g.max)} ms`,
  );
  for (const f of c.failures) console.log(`  FAILED ${f}`);
}

function printTable(results: TransportResult[]): void {
  const row = (name: string, target: string, cell: (r: TransportResult) => string): string =>
    `| ${name} | ${target} | ${results.map(cell).join(' | ')} |`;
  console.log(`\n| metric | target | ${results.map((r) => r.name).join(' | ')} |`);
  console.log(`|---|---|${results.map(() => '---').join('|')}|`);
  console.log(row('G2G n', `≥ 20`, (r) => `${r.g2g.n}`));
  const tgt = (r: TransportResult): { g2gP50: number; g2gP90: number } =>
    r.player === 'packets' ? PACKETS_TARGETS : TARGETS;
  console.log(
    row(
      'G2G p50',
      `MSE ≤ ${TARGETS.g2gP50}, low latency ≤ ${PACKETS_TARGETS.g2gP50} ms`,
      (r) => `${fmt(r.g2g.p50)} ${mark(r.g2g.p50 <= tgt(r).g2gP50)}`,
    ),
  );
  console.log(
    row(
      'G2G p90',
      `MSE ≤ ${TARGETS.g2gP90}, low latency ≤ ${PACKETS_TARGETS.g2gP90} ms`,
      (r) => `${fmt(r.g2g.p90)} ${mark(r.g2g.p90 <= tgt(r).g2gP90)}`,
    ),
  );
  console.log(
    row('underruns / rebuffers per min', `low latency < ${PACKETS_TARGETS.underrunsPerMin}`, (r) =>
      r.g2g.underrunsPerMin === null
        ? `${fmt((r.g2g.rebuffers * 60_000) / Math.max(1, r.g2g.requested * PERIOD_MS))} (rebuffers)`
        : r.g2g.underrunsPerMin.toFixed(2),
    ),
  );
  console.log(row('G2G min / max', '', (r) => `${fmt(r.g2g.min)} / ${fmt(r.g2g.max)}`));
  console.log(row('listener buffer ahead p50', '', (r) => fmt(r.g2g.bufferAheadP50Ms)));
  console.log(
    row('G2G across sessions p50 (min–max)', '', (r) => {
      const g = r.cycles.g2g;
      return `${fmt(g.p50)} (${fmt(g.min)}–${fmt(g.max)}), n=${g.n}`;
    }),
  );
  console.log(
    row(
      'go live → started p50',
      `≤ ${TARGETS.startedP50} ms`,
      (r) => `${fmt(r.cycles.started.p50)} ${mark(r.cycles.started.p50 <= TARGETS.startedP50)}`,
    ),
  );
  console.log(
    row(
      'go live → started p90 / min / max',
      '',
      (r) => `${fmt(r.cycles.started.p90)} / ${fmt(r.cycles.started.min)} / ${fmt(r.cycles.started.max)}`,
    ),
  );
  console.log(row("go live → 'playing' p50", '', (r) => fmt(r.cycles.playing.p50)));
  console.log(row('go live → currentTime > 0 p50', '', (r) => fmt(r.cycles.progressed.p50)));
}

async function main(): Promise<number> {
  const wav = join(tmpdir(), `onair-bench-bursts-${ON_MS}-${PERIOD_MS}-${process.pid}.wav`);
  // The fake microphone loops the file; a whole number of periods keeps the loop seamless.
  const periods = Math.ceil(60_000 / PERIOD_MS);
  writeToneWav(wav, { seconds: (periods * PERIOD_MS) / 1000, bursts: { onMs: ON_MS, periodMs: PERIOD_MS } });
  // Busy always (load 0): the write window then turns on exactly where a crowd makes 500 listeners.
  const server = await startTestServer({ packetCoalesceLoadPct: 0 });
  let browser: Browser | undefined;
  const results: TransportResult[] = [];
  const started = Date.now();
  try {
    browser = await launchChromium({ autoplay: true, fakeAudioFile: wav });
    for (const v of VARIANTS) results.push(await runVariant(browser, server, v));
  } finally {
    await browser?.close();
    await server.close();
    rmSync(wav, { force: true });
  }

  console.log(
    `# onair latency bench — ${browser?.version() ?? 'chromium'}, node ${process.version}; ` +
      `bursts ${ON_MS} ms of 440 Hz every ${PERIOD_MS} ms, onset = |x| > ${THRESHOLD} after ≥ ${QUIET_MS} ms quiet; ` +
      `warm-up ${WARMUP_MS} ms; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  for (const r of results) printTransport(r);
  printTable(results);

  const problems: string[] = [];
  for (const r of results) {
    if (r.g2g.n < r.g2g.requested)
      problems.push(`${r.transport}: only ${r.g2g.n}/${r.g2g.requested} bursts matched`);
    if (r.cycles.started.n < CYCLES)
      problems.push(`${r.transport}: ${r.cycles.failures.length} cycle(s) failed`);
    if (Math.abs(r.clockSkewMs) > 2)
      console.error(`note: ${r.transport}: page clocks differ by ${r.clockSkewMs} ms`);
  }
  if (values.out) {
    const json = {
      chromium: browser?.version(),
      node: process.version,
      params: {
        bursts: BURSTS,
        cycles: CYCLES,
        onMs: ON_MS,
        periodMs: PERIOD_MS,
        warmupMs: WARMUP_MS,
        threshold: THRESHOLD,
        quietMs: QUIET_MS,
      },
      targets: TARGETS,
      results,
      problems,
    };
    writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
  }
  for (const p of problems) console.error(`measurement problem: ${p}`);
  return problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
