/**
 * Listener load for bench/cluster (run as its own process, so its CPU is not the bench's):
 *   node build/node/bench/cluster/load.js --urls URL[,URL…] --n N --settle-ms MS --window-ms MS --min-bps B
 * Opens N plain HTTP GET listeners spread round-robin over the URLs (loopback only), waits
 * settle-ms, then counts each listener's bytes over window-ms. A listener is "served" when it got
 * at least min-bps bytes per second in the window. Prints one JSON line and exits.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    urls: { type: 'string' },
    n: { type: 'string', default: '1000' },
    'settle-ms': { type: 'string', default: '5000' },
    'window-ms': { type: 'string', default: '10000' },
    'min-bps': { type: 'string', default: '7200' },
  },
});
const urls = (values.urls ?? '').split(',').filter(Boolean);
const N = Number(values.n);
const SETTLE_MS = Number(values['settle-ms']);
const WINDOW_MS = Number(values['window-ms']);
const MIN_BPS = Number(values['min-bps']);
for (const u of urls) {
  const host = new URL(u).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`loopback only: ${u}`);
}

interface L {
  bytes: number;
  atWindowStart: number;
  status: number;
  failed: boolean;
  req: http.ClientRequest;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
const listeners: L[] = [];
const t0 = Date.now();
for (let i = 0; i < N; i++) {
  const url = urls[i % urls.length] as string;
  const l: L = { bytes: 0, atWindowStart: 0, status: 0, failed: false, req: http.get(url, { agent }) };
  l.req.on('response', (res) => {
    l.status = res.statusCode ?? 0;
    res.on('data', (b: Buffer) => {
      l.bytes += b.length;
    });
    res.on('error', () => {
      l.failed = true;
    });
  });
  l.req.on('error', () => {
    l.failed = true;
  });
  listeners.push(l);
  // Open them in batches so the servers are not hit by N SYNs at once.
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 50));
}
const rampMs = Date.now() - t0;
await new Promise((r) => setTimeout(r, SETTLE_MS));
for (const l of listeners) l.atWindowStart = l.bytes;
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const cpu = process.cpuUsage(cpu0);
const rates = listeners.map((l) => ((l.bytes - l.atWindowStart) * 1000) / WINDOW_MS).sort((a, b) => a - b);
const served = rates.filter((r) => r >= MIN_BPS).length;
const result = {
  n: N,
  urls: urls.length,
  rampMs,
  ok200: listeners.filter((l) => l.status === 200).length,
  failed: listeners.filter((l) => l.failed).length,
  served,
  rateP10: Math.round(rates[Math.floor(N * 0.1)] ?? 0),
  rateP50: Math.round(rates[Math.floor(N * 0.5)] ?? 0),
  loadCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / WINDOW_MS) * 100),
};
for (const l of listeners) l.req.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
