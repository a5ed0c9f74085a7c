/**
 * Cluster bench (prints figures; not a test). Run after the build:
 *   node build/node/bench/cluster/run.js [--seconds 20] [--ns 500,1000,2000] [--window-ms 10000] [--out f.json]
 *
 * Starts a real redis-server and three onair nodes (the CLI, each its own process, `--redis`) on
 * 127.0.0.1, and ffmpeg broadcasting a 64 kbps Opus tone (WebM, a Cluster every 100 ms) to node A.
 * 1. The Redis hop: a WebM listener on A and one on B get the same bytes; for every read on B, the
 *    time since A's listener had the same byte is what the hop through Redis added (p50, p90, max).
 *    Same machine, same clock, both listeners in this process.
 * 2. Listeners served: N Ogg listeners from a separate load process, all on node A (one node), then
 *    spread over A, B and C (three nodes); a listener is served when it gets ≥ 90% of 64 kbps over
 *    the window. Each node's and Redis's CPU over the run is read from /proc.
 * On a 2-core machine everything (nodes, Redis, ffmpeg, the load process) shares the two cores, so
 * part 2 shows what splitting the relay over processes buys on one box, not what three machines do.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CliServer } from '../../tools/cli.js';
import { startCliServer } from '../../tools/cli.js';
import { startFfmpegSource } from '../../tools/ffmpeg.js';
import { cpuSeconds } from '../../tools/proc.js';
import { startRedis } from '../../tools/redis.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    ns: { type: 'string', default: '500,1000,2000' },
    'window-ms': { type: 'string', default: '10000' },
    'settle-ms': { type: 'string', default: '4000' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const NS = (values.ns ?? '').split(',').filter(Boolean).map(Number);
const WINDOW_MS = Number(values['window-ms']);
const SETTLE_MS = Number(values['settle-ms']);
const KEY = 'cluster-bench-key-0123';
const MOUNT = 'live';
const LOAD = fileURLToPath(new URL('./load.js', import.meta.url));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** A listener recording [time, cumulative bytes] at every read. */
function record(url: string): { reads: Array<[number, number]>; bytes: () => Buffer; stop: () => void } {
  const reads: Array<[number, number]> = [];
  const parts: Buffer[] = [];
  let size = 0;
  const req = http.get(url, (res) => {
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
    res.on('data', (b: Buffer) => {
      size += b.length;
      parts.push(b);
      reads.push([performance.now(), size]);
    });
  });
  req.on('error', () => {});
  return { reads, bytes: () => Buffer.concat(parts, size), stop: () => req.destroy() };
}

async function waitLive(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/status-json.xsl`);
    const body = (await res.json()) as { icestats: { source?: unknown } };
    if (body.icestats.source) return;
    if (Date.now() > deadline) throw new Error(`port ${port}: not live within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function redisHop(
  a: CliServer,
  b: CliServer,
): Promise<{ samples: number; p50: number; p90: number; max: number }> {
  const onA = record(`http://127.0.0.1:${a.port}/${MOUNT}.webm`);
  const onB = record(`http://127.0.0.1:${b.port}/${MOUNT}.webm`);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  onA.stop();
  onB.stop();
  // Both start with the same init segment, then each from its own newest Cluster: line B up with A.
  const bytesA = onA.bytes();
  const bytesB = onB.bytes();
  const cluster = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
  const firstB = bytesB.indexOf(cluster);
  const needle = bytesB.subarray(firstB, firstB + 256);
  const inA = bytesA.indexOf(needle);
  if (firstB < 0 || inA < 0) throw new Error('the listeners on A and B got different bytes');
  const shift = inA - firstB;
  const deltas: number[] = [];
  let j = 0;
  for (const [tB, endB] of onB.reads) {
    const endA = endB + shift;
    if (endB <= firstB || endA > bytesA.length) continue;
    while (j < onA.reads.length && (onA.reads[j] as [number, number])[1] < endA) j++;
    const readA = onA.reads[j];
    if (!readA) break;
    deltas.push(tB - readA[0]);
  }
  deltas.sort((x, y) => x - y);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return {
    samples: deltas.length,
    p50: r1(pct(deltas, 0.5)),
    p90: r1(pct(deltas, 0.9)),
    max: r1(deltas.at(-1) ?? Number.NaN),
  };
}

interface LoadResult {
  n: number;
  ok200: number;
  served: number;
  failed: number;
  rateP10: number;
  rateP50: number;
  loadCpuPct: number;
}

async function load(
  urls: string[],
  n: number,
  procs: Array<ChildProcess | undefined>,
): Promise<LoadResult & { cpuPct: number[] }> {
  const cpu0 = procs.map((p) => cpuSeconds(p?.pid));
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      LOAD,
      '--urls',
      urls.join(','),
      '--n',
      String(n),
      '--settle-ms',
      String(SETTLE_MS),
      '--window-ms',
      String(WINDOW_MS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), SETTLE_MS + WINDOW_MS + 60_000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(timeout);
  const s = (performance.now() - t0) / 1000;
  const cpuPct = procs.map((p, i) => Math.round(((cpuSeconds(p?.pid) - (cpu0[i] ?? 0)) / s) * 100));
  return { ...(JSON.parse(out) as LoadResult), cpuPct };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const dirs = await Promise.all([0, 1, 2].map((i) => mkdtemp(join(tmpdir(), `onair-bench-node${i}-`))));
  const nodes: CliServer[] = [];
  let source: ReturnType<typeof startFfmpegSource> | null = null;
  try {
    for (const dir of dirs)
      nodes.push(await startCliServer(dir, KEY, ['--redis', redis.url, '--record', 'off']));
    const [a, b, c] = nodes as [CliServer, CliServer, CliServer];
    // Each load step: its ramp (200 listeners per 50 ms, plus connecting), settle, window, a pause.
    const loadSeconds = NS.reduce((t, n) => t + 2 * (n / 1000 + (SETTLE_MS + WINDOW_MS) / 1000 + 15), 0);
    source = startFfmpegSource({
      url: `icecast://source:${KEY}@127.0.0.1:${a.port}/${MOUNT}`,
      format: 'webm',
      seconds: SECONDS + loadSeconds + 30,
    });
    await Promise.all(nodes.map((n) => waitLive(n.port, 15_000)));
    await new Promise((r) => setTimeout(r, 1_000));

    console.log(`Redis hop: WebM listener on B vs on A, ${SECONDS} s of a 64 kbps tone (ffmpeg → A)`);
    const hop = await redisHop(a, b);
    console.log(
      `  ${hop.samples} reads: added latency p50 ${hop.p50} ms, p90 ${hop.p90} ms, max ${hop.max} ms\n`,
    );

    const nodeProcs = nodes.map((n) => n.child);
    const procs = [...nodeProcs, redis.proc];
    const rows: Array<{ layout: string } & LoadResult & { cpuPct: number[] }> = [];
    console.log(
      `Listeners served (Ogg, ≥ 90% of 64 kbps over ${WINDOW_MS / 1000} s); CPU % of one core: A B C redis`,
    );
    for (const n of NS) {
      for (const layout of ['1 node', '3 nodes'] as const) {
        const urls = (layout === '1 node' ? [a] : [a, b, c]).map(
          (x) => `http://127.0.0.1:${x.port}/${MOUNT}.ogg`,
        );
        // The tone must still be on the air everywhere, or the step measures nothing.
        await Promise.all(nodes.map((x) => waitLive(x.port, 5_000)));
        const r = await load(urls, n, procs);
        rows.push({ layout, ...r });
        console.log(
          `  ${String(n).padStart(5)} on ${layout.padEnd(7)}: served ${String(r.served).padStart(5)}/${n}` +
            ` (answered 200: ${r.ok200}, failed ${r.failed}, rate p10 ${r.rateP10} B/s)  CPU ${r.cpuPct.join(' ')}  load process ${r.loadCpuPct}%`,
        );
        await new Promise((res) => setTimeout(res, 2_000));
      }
    }
    if (values.out) writeFileSync(values.out, JSON.stringify({ hop, rows }, null, 2));
  } finally {
    source?.stop();
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await redis.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
