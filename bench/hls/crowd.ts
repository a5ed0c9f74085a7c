/**
 * nginx in front at scale (prints figures; not a test). Run after the build:
 *   node build/node/bench/hls/crowd.js [--clients 1000] [--seconds 30] [--out result.json]
 *
 * One onair started as a service starts it (`node build/node/src/server/main.js`, tools/cli.ts), one
 * real ffmpeg source (Ogg/Opus pages every 100 ms), Debian's nginx with the README's cache config in
 * front (tools/nginx.ts), a counting forwarder between nginx and onair, all on 127.0.0.1. Two phases
 * in one run, each measured over the same window after a settle:
 *
 * 1. `--clients` Low-Latency HLS clients through nginx, each doing what an LL-HLS player does at the
 *    live edge: a blocking playlist reload for the hinted part (`?_HLS_msn=M&_HLS_part=P`) and, at the
 *    same time, the hinted part itself, then the next. Reported: requests that reached onair per part
 *    the stream made (parts, blocking reloads, the rest), onair's and nginx's CPU, how late each client
 *    got each part after the first client got it, errors.
 * 2. the same number of direct `/<mount>.pkt?status=1` listeners (the low-latency rung: one socket
 *    each) on onair itself. Reported: onair's CPU, listeners alive through the window.
 *
 * The clients are one Node process, two keep-alive connections per client on raw sockets (Node's HTTP
 * client costs too much here); its own CPU is printed so a saturated load process shows.
 */

import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { paths } from '../../src/shared/protocol.js';
import { startCliServer } from '../../tools/cli.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import { startCountingForwarder, startNginx } from '../../tools/nginx.js';
import { childPids, cpuSeconds } from '../../tools/proc.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    settle: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const CLIENTS = Number(values.clients);
const WINDOW_MS = Number(values.seconds) * 1000;
const SETTLE_MS = Number(values.settle) * 1000;
const KEY = 'hls-crowd-bench-key-0123';
const MOUNT = 'live';
/** Every request a client makes gives up after this long (onair holds at most 3 s, nginx's lock 10 s). */
const REQUEST_TIMEOUT_MS = 15_000;
/** A client that got an error asks for the plain playlist again after this pause. */
const RETRY_PAUSE_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

/** GET `url` with Node's HTTP client (for the few set-up requests). */
function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Largest response a client takes (a playlist is a few KiB, a part a few hundred bytes). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One keep-alive HTTP/1.1 connection doing one GET at a time on a raw socket: Node's HTTP client
 * costs too much CPU for a thousand clients' 10,000 requests a second in one process. Takes only
 * what nginx and onair send here: a status line, headers with Content-Length, the body.
 */
class RawConnection {
  private socket: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve(r: { status: number; body: Buffer }): void; reject(e: Error): void } | null =
    null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get(path: string): Promise<{ status: number; body: Buffer }> {
    if (this.pending) return Promise.reject(new Error('busy'));
    if (!this.socket || this.socket.destroyed) this.connect();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new Error('timeout')), REQUEST_TIMEOUT_MS);
      this.socket?.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.fail(new Error('closed'));
  }

  private connect(): void {
    this.buf = Buffer.alloc(0);
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      this.buf = this.buf.length === 0 ? b : Buffer.concat([this.buf, b]);
      this.parse();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
    this.socket = socket;
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buf.length > MAX_RESPONSE_BYTES) this.fail(new Error('head too large'));
      return;
    }
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.fail(new Error(`no content-length (${status})`));
      return;
    }
    const n = Number(length[1]);
    if (n > MAX_RESPONSE_BYTES) {
      this.fail(new Error('body too large'));
      return;
    }
    if (this.buf.length < end + 4 + n) return;
    const body = this.buf.subarray(end + 4, end + 4 + n);
    this.buf = this.buf.subarray(end + 4 + n);
    const p = this.pending;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    p?.resolve({ status, body });
  }

  private fail(e: Error): void {
    this.socket?.destroy();
    this.socket = null;
    if (this.timer) clearTimeout(this.timer);
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }
}

const HINT = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/;
const POSITION = /s(\d+)\.(\d+)\.m4s$/;

interface CrowdStats {
  /** Part URI → when each client got it (ms, performance.now()). */
  partTimes: Map<string, number[]>;
  parts: number;
  bytes: number;
  errors: Map<string, number>;
}

/** One LL-HLS client at the live edge until `signal` aborts. */
async function llHlsClient(base: URL, stats: CrowdStats, signal: AbortSignal): Promise<void> {
  // Two connections, as a player holds: the blocking reload and the hinted part run at once.
  const playlists = new RawConnection(base.hostname, Number(base.port));
  const media = new RawConnection(base.hostname, Number(base.port));
  const playlistPath = paths.hlsPlaylist(MOUNT);
  const fail = (what: string): void => {
    stats.errors.set(what, (stats.errors.get(what) ?? 0) + 1);
  };
  try {
    let hint: string | null = null;
    while (!signal.aborted) {
      try {
        if (hint === null) {
          const first = await playlists.get(playlistPath);
          if (first.status !== 200) {
            fail(`playlist ${first.status}`);
            await sleep(RETRY_PAUSE_MS);
            continue;
          }
          hint = HINT.exec(first.body.toString('latin1'))?.[1] ?? null;
          if (hint === null) {
            fail('playlist without a hint');
            await sleep(RETRY_PAUSE_MS);
          }
          continue;
        }
        const at = POSITION.exec(hint);
        if (!at) throw new Error(`not a part URI: ${hint}`);
        const [part, reload] = await Promise.all([
          media.get(`/${hint}`),
          playlists.get(`${playlistPath}?_HLS_msn=${at[1]}&_HLS_part=${at[2]}`),
        ]);
        if (part.status === 200) {
          const now = performance.now();
          let times = stats.partTimes.get(hint);
          if (!times) {
            times = [];
            stats.partTimes.set(hint, times);
          }
          times.push(now);
          stats.parts++;
          stats.bytes += part.body.byteLength;
        } else {
          fail(`part ${part.status}`);
        }
        const next = reload.status === 200 ? (HINT.exec(reload.body.toString('latin1'))?.[1] ?? null) : null;
        if (reload.status !== 200) fail(`reload ${reload.status}`);
        if (next === null || next === hint) {
          hint = null;
          await sleep(RETRY_PAUSE_MS);
        } else {
          hint = next;
        }
      } catch (err) {
        fail(`request ${(err as Error).message}`);
        hint = null;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  } finally {
    playlists.close();
    media.close();
  }
}

/** A direct `.pkt?status=1` listener: reads and counts until `signal` aborts; `alive` while it reads. */
function pktListener(
  url: string,
  signal: AbortSignal,
  stats: { bytes: number; ended: number; errors: number },
): void {
  const req = http.get(url, { agent: false }, (res) => {
    if (res.statusCode !== 200) {
      stats.errors++;
      res.resume();
      return;
    }
    res.on('data', (b: Buffer) => {
      stats.bytes += b.byteLength;
    });
    res.on('end', () => {
      if (!signal.aborted) stats.ended++;
    });
    res.on('error', () => {
      if (!signal.aborted) stats.errors++;
    });
  });
  req.on('error', () => {
    if (!signal.aborted) stats.errors++;
  });
  signal.addEventListener('abort', () => req.destroy(), { once: true });
}

/** CPU % of one core of `pids` together over `ms`, sampled around `during`. */
async function cpuOver(pids: number[], ms: number): Promise<number> {
  const sum = (): number => pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const a = sum();
  const t0 = performance.now();
  await sleep(ms);
  return ((sum() - a) / ((performance.now() - t0) / 1000)) * 100;
}

const dataDir = await mkdtemp(join(tmpdir(), 'onair-hls-crowd-'));
// Logs at info: one line per state change, nothing per request.
const onair = await startCliServer(dataDir, KEY);
const forwarder = await startCountingForwarder(`http://127.0.0.1:${onair.port}`);
const nginx = await startNginx(forwarder.hostPort);
const source = startFfmpegSource({
  url: `icecast://source:${KEY}@127.0.0.1:${onair.port}/${MOUNT}`,
  format: 'ogg',
  seconds: 3600,
});
const result: Record<string, unknown> = { clients: CLIENTS, windowS: WINDOW_MS / 1000 };
try {
  // The broadcast is on and its playlist startable (HOLD-BACK of segments).
  for (let tries = 0; ; tries++) {
    const r = await get(`http://127.0.0.1:${onair.port}${paths.hlsPlaylist(MOUNT)}`).catch(() => null);
    if (r?.status === 200) break;
    if (tries > 40) throw new Error(`no playlist: ${r?.status}; ffmpeg: ${source.stderr()}`);
    await sleep(250);
  }

  // Phase 1: LL-HLS clients through nginx.
  const stats: CrowdStats = { partTimes: new Map(), parts: 0, bytes: 0, errors: new Map() };
  const stop = new AbortController();
  const clients: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(llHlsClient(new URL(nginx.url), stats, stop.signal));
    // Joining over about a second, as a class that opens the link.
    if (i % 50 === 49) await sleep(50);
  }
  await sleep(SETTLE_MS);
  forwarder.counts.clear();
  stats.partTimes.clear();
  stats.errors.clear();
  const parts0 = stats.parts;
  const load0 = process.cpuUsage();
  const nginxPids = [...childPids(nginx.pid)];
  const [onairCpu, nginxCpu] = await Promise.all([
    cpuOver([onair.child.pid as number], WINDOW_MS),
    cpuOver(nginxPids, WINDOW_MS),
  ]);
  const load = process.cpuUsage(load0);
  const origin = new Map(forwarder.counts);
  const partTimes = new Map(stats.partTimes);
  const errors = Object.fromEntries(stats.errors);
  const partsGot = stats.parts - parts0;
  stop.abort();
  await Promise.all(clients);

  // Parts the stream made in the window: those every client should have had, i.e. those the clients
  // got, minus the first and last (cut by the window).
  const madeParts = [...partTimes.keys()].sort((a, b) => {
    const [, am = 0, ap = 0] = (POSITION.exec(a) ?? []).map(Number);
    const [, bm = 0, bp = 0] = (POSITION.exec(b) ?? []).map(Number);
    return am - bm || ap - bp;
  });
  const inner = madeParts.slice(1, -1);
  const lateMs: number[] = [];
  const perPartClients: number[] = [];
  for (const uri of inner) {
    const times = partTimes.get(uri) ?? [];
    perPartClients.push(times.length);
    const first = times.reduce((m, x) => Math.min(m, x), Number.POSITIVE_INFINITY);
    for (const t of times) lateMs.push(t - first);
  }
  let originParts = 0;
  let originReloads = 0;
  let originOther = 0;
  for (const [path, n] of origin) {
    if (/\.\d+\.m4s$/.test(path)) originParts += n;
    else if (path.includes('_HLS_msn=')) originReloads += n;
    else originOther += n;
  }
  const made = madeParts.length;
  const hls = {
    partsMade: made,
    partsPerClientPerS: partsGot / CLIENTS / (WINDOW_MS / 1000),
    clientsPerPartMedian: quantile(perPartClients, 0.5),
    originRequests: originParts + originReloads + originOther,
    originPartRequestsPerPart: originParts / made,
    originReloadsPerPart: originReloads / made,
    originOtherRequests: originOther,
    originRequestsPerPart: (originParts + originReloads + originOther) / made,
    originMaxRequestsForOneUrl: [...origin.values()].reduce((m, x) => Math.max(m, x), 0),
    onairCpuPct: onairCpu,
    nginxCpuPct: nginxCpu,
    loadProcessCpuPct: ((load.user + load.system) / 1000 / WINDOW_MS) * 100,
    lateAfterFirstClientMs: {
      p50: quantile(lateMs, 0.5),
      p90: quantile(lateMs, 0.9),
      p99: quantile(lateMs, 0.99),
      max: lateMs.reduce((m, x) => Math.max(m, x), 0),
    },
    errors,
  };
  result.hlsThroughNginx = hls;

  // Phase 2: as many direct `.pkt?status=1` listeners on onair.
  const pkt = { bytes: 0, ended: 0, errors: 0 };
  const stopPkt = new AbortController();
  setMaxListeners(CLIENTS + 10, stopPkt.signal);
  const pktUrl = `http://127.0.0.1:${onair.port}${paths.listenPackets(MOUNT, { status: true })}`;
  for (let i = 0; i < CLIENTS; i++) {
    pktListener(pktUrl, stopPkt.signal, pkt);
    if (i % 50 === 49) await sleep(50);
  }
  await sleep(SETTLE_MS);
  const ended0 = pkt.ended + pkt.errors;
  const bytes0 = pkt.bytes;
  const pktCpu = await cpuOver([onair.child.pid as number], WINDOW_MS);
  result.pktDirect = {
    onairCpuPct: pktCpu,
    listenersLost: pkt.ended + pkt.errors - ended0,
    errorsBeforeWindow: ended0,
    kbpsPerListener: ((pkt.bytes - bytes0) * 8) / 1000 / CLIENTS / (WINDOW_MS / 1000),
  };
  stopPkt.abort();

  const r = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  console.log(`\n${CLIENTS} clients, ${WINDOW_MS / 1000} s window after ${SETTLE_MS / 1000} s to settle`);
  console.log(
    '| listeners | onair CPU % of a core | origin requests per part (parts + blocking reloads + other) | nginx CPU % | late after the first client p50 / p90 / max |',
  );
  console.log('| --- | ---: | --- | ---: | --- |');
  console.log(
    `| ${CLIENTS} LL-HLS via nginx | ${r(hls.onairCpuPct)} | ${r(hls.originRequestsPerPart, 2)} (${r(hls.originPartRequestsPerPart, 2)} + ${r(hls.originReloadsPerPart, 2)} + ${hls.originOtherRequests} in all) | ${r(hls.nginxCpuPct)} | ${r(hls.lateAfterFirstClientMs.p50, 0)} / ${r(hls.lateAfterFirstClientMs.p90, 0)} / ${r(hls.lateAfterFirstClientMs.max, 0)} ms |`,
  );
  console.log(`| ${CLIENTS} \`.pkt?status=1\` direct | ${r(pktCpu)} | — | — | — |`);
  console.log(JSON.stringify(result, null, 2));
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2));
} finally {
  source.stop();
  await nginx.close();
  await forwarder.close();
  onair.kill();
  await onair.exited;
  await rm(dataDir, { recursive: true, force: true });
}
