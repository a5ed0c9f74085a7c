/**
 * Starts a real onair server on 127.0.0.1 (free ports, temp data dir, captured logs) for tests, benches and
 * scripts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { OnairServer } from '../src/server/app.js';
import { startServer } from '../src/server/app.js';
import type { Config } from '../src/server/config.js';
import { loadConfig } from '../src/server/config.js';
import { createLogger } from '../src/server/log.js';

export const TEST_STREAM_KEY = 'test-stream-key-0123';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123';

export interface TestServer {
  server: OnairServer;
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** `https://127.0.0.1:PORT` (self-signed; HTTP/2 and HTTP/1.1) */
  httpsUrl: string;
  /** `ws://127.0.0.1:PORT/ws?mount=` prefix: append the mount. */
  wsUrl: string;
  streamKey: string;
  dataDir: string;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'onair-test-'));
  const { config } = loadConfig(
    [],
    {},
    {
      host: '127.0.0.1',
      port: 0,
      httpsPort: 0,
      dataDir,
      streamKey: TEST_STREAM_KEY,
      adminToken: TEST_ADMIN_TOKEN,
      logLevel: 'debug',
      ...overrides,
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const server = await startServer(config, log);
  return {
    server,
    baseUrl: server.httpUrl,
    httpsUrl: server.httpsUrl ?? '',
    wsUrl: `ws://127.0.0.1:${server.httpPort}/ws?mount=`,
    streamKey: server.streamKey,
    dataDir,
    logs,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value of the sample `series` (name with labels, as printed) in Prometheus text, or null when absent. */
export function metricSample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

/** One sample of a test server's `/metrics` (read with the admin token), or null when absent. */
export async function readMetric(baseUrl: string, series: string): Promise<number | null> {
  const res = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return metricSample(await res.text(), series);
}
