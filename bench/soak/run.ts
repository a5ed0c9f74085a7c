/**
 * Soak bench (prints figures; not a test). Run after the build:
 *   node build/node/bench/soak/run.js [--minutes 10] [--listeners 200] [--min-stay-s 1] [--max-stay-s 20]
 *     [--sample-s 10] [--warmup-s 30] [--seed 1]
 *
 * Starts the built server (build/node/src/server/main.js, which sets its own V8 heap flags: src/server/heap.ts)
 * as a child process on 127.0.0.1, one ffmpeg source (440 Hz, Opus in Ogg, `-re`, Icecast PUT to /soak), and keeps
 * about `--listeners` listeners connected, half on /soak.webm and half on /soak.ogg, each staying a
 * random `--min-stay-s`–`--max-stay-s` seconds and replaced at once when it leaves. Every `--sample-s`
 * it reads the server's RSS (VmRSS in /proc/<pid>/status) and CPU time, and /status-json.xsl.
 *
 * Prints RSS after the warm-up and at the end, its maximum, the least-squares slope (after the warm-up,
 * and in the second half), listeners served, and listeners dropped: by the server's own count
 * (`slow_listeners`, listeners cut for falling behind) and as the listeners saw it (the stream ended,
 * or no byte for STALL_MS, before they chose to leave). A leak grows all along while the heap settling
 * after start-up does not, so the verdict looks at the second half: "no growth beyond noise" when the
 * growth its slope predicts over that half is within three standard deviations of its samples around
 * the line (or 1 MiB, whichever is larger).
 * Exits non-zero when the measurement failed (server or source died, the mount never went live).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../tools/bytes.js';
import { freePort } from '../../tools/ports.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    listeners: { type: 'string', default: '200' },
    'min-stay-s': { type: 'string', default: '1' },
    'max-stay-s': { type: 'string', default: '20' },
    'sample-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
  },
});
const MINUTES = Number(values.minutes);
const LISTENERS = Number(values.listeners);
const MIN_STAY_MS = Number(values['min-stay-s']) * 1000;
const MAX_STAY_MS = Number(values['max-stay-s']) * 1000;
const SAMPLE_MS = Number(values['sample-s']) * 1000;
const WARMUP_MS = Number(values['warmup-s']) * 1000;
for (const [name, v] of Object.entries({
  MINUTES,
  LISTENERS,
  MIN_STAY_MS,
  MAX_STAY_MS,
  SAMPLE_MS,
  WARMUP_MS,
})) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad --${name.toLowerCase()}: ${v}`);
}
if (MAX_STAY_MS < MIN_STAY_MS) throw new Error('--max-stay-s must be at least --min-stay-s');
/** A listener that gets no byte for this long (while it means to stay) has stalled: dropped. */
const STALL_MS = 3_000;
const MOUNT = 'soak';
const KEY = 'soak-bench-key-0123';
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const rand = mulberry32(Number(values.seed));

/** Least-squares line of RSS over time: slope in bytes per second, and the samples' spread around it. */
function fit(points: ReadonlyArray<{ s: number; rss: number }>): { slope: number; sd: number } {
  const n = points.length;
  const mx = points.reduce((a, x) => a + x.s, 0) / n;
  const my = points.reduce((a, x) => a + x.rss, 0) / n;
  const sxy = points.reduce((a, x) => a + (x.s - mx) * (x.rss - my), 0);
  const sxx = points.reduce((a, x) => a + (x.s - mx) ** 2, 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  const sd = Math.sqrt(
    points.reduce((a, x) => a + (x.rss - (my + slope * (x.s - mx))) ** 2, 0) / Math.max(1, n - 2),
  );
  return { slope, sd };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The server's resident set size in bytes, from /proc. */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** The server's user + system CPU time in seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface MountStats {
  live: boolean;
  listeners: number;
  slowListeners: number;
}

async function mountStats(base: string): Promise<MountStats> {
  const res = await fetch(`${base}/status-json.xsl`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { icestats: { source?: unknown } };
  const src = body.icestats.source;
  const list = (src === undefined ? [] : Array.isArray(src) ? src : [src]) as Array<Record<string, unknown>>;
  const mine = list.find((s) => String(s.listenurl).endsWith(`/${MOUNT}`));
  return {
    live: mine !== undefined,
    listeners: Number(mine?.listeners ?? 0),
    slowListeners: Number(mine?.slow_listeners ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------------

const counts = {
  joins: 0,
  /** Stayed as long as they meant to (or until the run ended), receiving all along. */
  served: 0,
  /** The server ended the stream before they meant to leave. */
  endedEarly: 0,
  /** No byte for STALL_MS while meaning to stay. */
  stalled: 0,
  /** Answered with another status than 200. */
  refused: 0,
  /** Connection failed before an answer. */
  errors: 0,
  bytes: 0,
};

interface Active {
  req: http.ClientRequest;
  lastByteAt: number;
  leaving: boolean;
  done: boolean;
  stall(): void;
  /** Leaves now, counted as served. */
  leave(): void;
}
const active = new Set<Active>();
let stopping = false;
let joinIndex = 0;

function joinListener(base: string): void {
  if (stopping) return;
  const ext = joinIndex++ % 2 === 0 ? 'webm' : 'ogg';
  const stayMs = MIN_STAY_MS + rand() * (MAX_STAY_MS - MIN_STAY_MS);
  counts.joins++;
  const req = http.get(`${base}/${MOUNT}.${ext}`, { agent: false });
  const me: Active = {
    req,
    lastByteAt: Date.now(),
    leaving: false,
    done: false,
    stall: () => finish('stalled'),
    leave: () => {
      me.leaving = true;
      finish('served');
    },
  };
  active.add(me);
  const finish = (outcome: keyof typeof counts): void => {
    if (me.done) return;
    me.done = true;
    clearTimeout(leaveTimer);
    active.delete(me);
    counts[outcome]++;
    req.destroy();
    // Replaced at once; after a refusal or an error, a moment later (no tight loop while offline).
    if (outcome === 'refused' || outcome === 'errors') setTimeout(() => joinListener(base), 200);
    else joinListener(base);
  };
  const leaveTimer = setTimeout(() => me.leave(), stayMs);
  req.on('error', () => finish('errors'));
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      finish('refused');
      return;
    }
    me.lastByteAt = Date.now();
    res.on('data', (b: Buffer) => {
      counts.bytes += b.length;
      me.lastByteAt = Date.now();
    });
    res.on('end', () => finish('endedEarly'));
    res.on('close', () => finish('endedEarly'));
    res.on('error', () => finish('endedEarly'));
  });
}

/** Drops listeners that got nothing for STALL_MS (counted as stalled) and replaces them. */
function sweepStalls(): void {
  const now = Date.now();
  for (const a of [...active]) {
    if (!a.done && !a.leaving && now - a.lastByteAt > STALL_MS) a.stall();
  }
}

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), 'onair-soak-'));
  const children: ChildProcess[] = [];
  let failed: string | null = null;
  const server = spawn(
    process.execPath,
    [
      join(root, 'build/node/src/server/main.js'),
      '--port',
      String(port),
      '--https-port',
      'off',
      '--host',
      '127.0.0.1',
      '--data',
      data,
    ],
    {
      env: { ...process.env, ONAIR_STREAM_KEY: KEY, ONAIR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(server);
  let serverLog = '';
  server.stdout?.on('data', (b: Buffer) => {
    serverLog = (serverLog + b.toString()).slice(-20_000);
  });
  server.stderr?.on('data', (b: Buffer) => {
    serverLog = (serverLog + b.toString()).slice(-20_000);
  });
  server.on('exit', (code, signal) => {
    if (!stopping) failed ??= `server exited (${code ?? signal}) during the run: ${serverLog.slice(-2_000)}`;
  });
  const pid = server.pid as number;
  const cleanup = (): void => {
    stopping = true;
    for (const a of active) a.req.destroy();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  };
  try {
    const upBy = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await fetch(`${base}/api/info`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > upBy || failed) throw new Error(failed ?? `server not up in 15 s: ${serverLog}`);
      await sleep(100);
    }

    const totalS = MINUTES * 60;
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-t',
        String(Math.ceil(totalS + 120)),
        '-c:a',
        'libopus',
        '-b:a',
        '64k',
        '-f',
        'ogg',
        '-page_duration',
        '100000',
        '-content_type',
        'audio/ogg',
        `icecast://source:${KEY}@127.0.0.1:${port}/${MOUNT}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(ffmpeg);
    let ffmpegErr = '';
    ffmpeg.stderr?.on('data', (b: Buffer) => {
      ffmpegErr = (ffmpegErr + b.toString()).slice(-4_000);
    });
    ffmpeg.on('exit', (code) => {
      if (!stopping) failed ??= `ffmpeg exited (${code}) during the run: ${ffmpegErr}`;
    });
    const liveBy = Date.now() + 15_000;
    while (!(await mountStats(base)).live) {
      if (Date.now() > liveBy || failed) throw new Error(failed ?? `/${MOUNT} never went live: ${ffmpegErr}`);
      await sleep(100);
    }

    console.log(
      `soak: node ${process.version}, ${MINUTES} min, ~${LISTENERS} listeners (webm + ogg) staying ` +
        `${MIN_STAY_MS / 1000}–${MAX_STAY_MS / 1000} s, RSS every ${SAMPLE_MS / 1000} s, warm-up ${WARMUP_MS / 1000} s`,
    );
    const t0 = Date.now();
    // Join the pool over the first two seconds rather than all in one tick.
    for (let i = 0; i < LISTENERS; i++) setTimeout(() => joinListener(base), (2_000 * i) / LISTENERS);
    const stallTimer = setInterval(sweepStalls, 500);

    const samples: Array<{ s: number; rss: number; cpu: number; listeners: number }> = [];
    let lastStats: MountStats = { live: true, listeners: 0, slowListeners: 0 };
    let offlineSamples = 0;
    for (let next = t0; next - t0 <= totalS * 1000; next += SAMPLE_MS) {
      await sleep(Math.max(0, next - Date.now()));
      if (failed) throw new Error(failed);
      lastStats = await mountStats(base);
      if (!lastStats.live) offlineSamples++;
      const s = (Date.now() - t0) / 1000;
      const sample = { s, rss: rssBytes(pid), cpu: cpuSeconds(pid), listeners: lastStats.listeners };
      samples.push(sample);
      console.log(
        `  ${s.toFixed(0).padStart(4)} s  RSS ${(sample.rss / 1048576).toFixed(1).padStart(6)} MiB  ` +
          `listeners ${String(sample.listeners).padStart(4)}  joins ${counts.joins}  ` +
          `dropped ${counts.endedEarly + counts.stalled} (server slow ${lastStats.slowListeners})`,
      );
    }
    clearInterval(stallTimer);
    stopping = true;
    // Those still connected were served until the end; closing them is our doing, not a drop.
    for (const a of [...active]) a.leave();
    const final = await mountStats(base);

    const steady = samples.filter((x) => x.s * 1000 >= WARMUP_MS);
    if (steady.length < 6) throw new Error(`only ${steady.length} samples after the warm-up: run longer`);
    const first = steady[0] as (typeof steady)[number];
    const last = steady[steady.length - 1] as (typeof steady)[number];
    const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
    const perMin = (bytesPerS: number): string => `${((bytesPerS * 60) / 1048576).toFixed(3)} MiB/min`;
    const all = fit(steady);
    // A leak grows all along; the heap settling after start-up does not: judge the second half.
    const late = fit(steady.slice(Math.floor(steady.length / 2)));
    const lateSpan = last.s - (steady[Math.floor(steady.length / 2)] as (typeof steady)[number]).s;
    const growth = late.slope * lateSpan;
    const noise = Math.max(3 * late.sd, 1024 * 1024);
    const cpuPct = ((last.cpu - first.cpu) / (last.s - first.s)) * 100;
    const avgListeners = steady.reduce((a, x) => a + x.listeners, 0) / steady.length;
    const dropped = counts.endedEarly + counts.stalled;
    console.log('');
    console.log(`RSS after warm-up (${first.s.toFixed(0)} s): ${mib(first.rss)}`);
    console.log(`RSS at the end (${last.s.toFixed(0)} s):   ${mib(last.rss)}`);
    console.log(`RSS max:                 ${mib(Math.max(...samples.map((x) => x.rss)))}`);
    console.log(
      `RSS slope:               ${perMin(all.slope)} after the warm-up; ${perMin(late.slope)} in the second half ` +
        `(${mib(growth)} over its ${(lateSpan / 60).toFixed(1)} min; noise ±${mib(3 * late.sd)})`,
    );
    console.log(
      `server CPU:              ${cpuPct.toFixed(1)} % of one core; ${avgListeners.toFixed(0)} listeners on average`,
    );
    console.log(
      `listeners served:        ${counts.served} stayed their full time (or to the end), of ${counts.joins} joins; ${mib(counts.bytes)} received`,
    );
    console.log(
      `listeners dropped:       ${dropped} (${counts.endedEarly} ended by the server early, ${counts.stalled} stalled ${STALL_MS / 1000} s); ` +
        `server's slow_listeners: ${final.slowListeners}; refused ${counts.refused}, connect errors ${counts.errors}`,
    );
    if (offlineSamples > 0) console.log(`mount offline in ${offlineSamples} of ${samples.length} samples`);
    console.log(
      `verdict:                 ${growth <= noise ? 'no growth beyond noise' : `RSS GROWS: ${mib(growth)} > noise ${mib(noise)}`}`,
    );

    // Shut the server down as an operator would, and wait for it.
    const exited = new Promise<void>((r) => server.once('exit', () => r()));
    server.kill('SIGTERM');
    await Promise.race([exited, sleep(6_000)]);
  } finally {
    cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
