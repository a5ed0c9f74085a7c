/**
 * Configuration: defaults, then `ONAIR_*` environment variables, then command-line flags, then
 * validation. The only module that reads `process.env`/`argv` (main.ts passes them in).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface Config {
  /** Address both listeners bind to. */
  host: string;
  /** Plain HTTP port (0 picks a free one). */
  port: number;
  /** HTTPS + HTTP/2 port (0 picks a free one); null turns HTTPS off. */
  httpsPort: number | null;
  /** Where the stream key, certificate and (later) recordings live. */
  dataDir: string;
  /** User-supplied certificate and key (PEM files); both or neither. */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** Stream key given by the operator; null means generate once and keep it in the data dir. */
  streamKey: string | null;
  /** Admin token (Basic password of user `admin`); null means generate once and keep it in the data dir. */
  adminToken: string | null;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Byte cap for everything before the first Cluster (Icecast uses 128 KiB too). */
  maxInitBytes: number;
  /** Byte cap for one element inside a Cluster. */
  maxElementBytes: number;
  /** Byte cap for one upload on the per-chunk transport. */
  maxChunkBytes: number;
  /** Byte cap for the newest-Cluster burst kept for late joiners. */
  burstBytes: number;
  /**
   * The Ogg output (for VLC, mpv, radio apps: players that buffer seconds) gathers pages this long
   * and writes them as one: a third of the writes, and of the fan-out's CPU. 0 writes each page.
   * The MP3/AAC output (the same players) is written the same way.
   */
  oggFlushMs: number;
  /**
   * The low-latency output's adaptive write window (ms, 0: never): while the event loop is busy at
   * `packetCoalesceLoadPct` % or more and a mount has 500+ packet-stream listeners, their packets
   * gather for up to this long per write. Small audiences never wait.
   */
  packetCoalesceMs: number;
  /** Event-loop utilisation (%) from which the process counts as busy; 0: always (to measure the cost). */
  packetCoalesceLoadPct: number;
  /** Write every broadcast to <data>/recordings/<mount>/<start>.webm. */
  record: boolean;
  /** Finished recordings are removed, oldest first, while together they take more (0: no cap). */
  recordMaxBytes: number;
  /** Finished recordings older than this many days are removed (0: kept however old). */
  recordMaxDays: number;
  /** A listener whose unsent bytes exceed this is dropped. */
  maxListenerBufferBytes: number;
  /** Listeners one mount may have; more get 503. */
  maxListenersPerMount: number;
  /** Listeners the whole server may have (each holds a socket); more get 503. */
  maxListeners: number;
  /** Mounts that may be live at once (browser and Icecast broadcasts together); more get 503. */
  maxMounts: number;
  /** A broadcast that receives no bytes for this long ends (mount goes OFFLINE). */
  ingestIdleTimeoutMs: number;
  /** An Icecast source client (PUT/SOURCE) that sends nothing for this long is dropped. */
  sourceTimeoutMs: number;
  /** Status socket ping interval; a peer that misses a pong is closed. */
  statusPingIntervalMs: number;
  /** Status sockets the whole server may hold open; more get 503. */
  maxStatusSockets: number;
  /** Status sockets one address may hold open; more get 429 (a school behind one NAT address needs many). */
  maxStatusSocketsPerAddress: number;
  /**
   * A connection must send its whole request head within this time (slowloris), on the plain HTTP
   * port and for the TLS handshake on the HTTPS port.
   */
  headerTimeoutMs: number;
  /** Wrong keys from one address within authFailureWindowMs before it is refused (429) for that long. */
  authMaxFailures: number;
  authFailureWindowMs: number;
  /** Origins (besides the server's own) whose pages may upload and open the status socket. */
  allowedOrigins: readonly string[];
  /**
   * `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS): run as one node of a cluster
   * that shares mounts, claims and listener counts through this Redis. null: one process, no Redis.
   */
  redisUrl: string | null;
  /** HLS part target (PART-TARGET), ms. */
  hlsPartMs: number;
  /** HLS segment target, ms (EXT-X-TARGETDURATION is this plus a part, in whole seconds). */
  hlsSegmentMs: number;
  /** Complete HLS segments kept per mount, in memory (the playlist's window). */
  hlsWindowSegments: number;
  /** Blocking HLS requests (playlist reloads, hinted parts) held at once; more get 503 HLS_BUSY. */
  hlsMaxHeldRequests: number;
  /**
   * Listen-again for mounts without channel settings: their finalised recordings listed and served to
   * anyone at /listen-again/<mount>. Off by default: recordings were for the operator only before.
   */
  listenAgain: boolean;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  httpsPort: 8443,
  dataDir: './data',
  tlsCertFile: null,
  tlsKeyFile: null,
  streamKey: null,
  adminToken: null,
  logLevel: 'info',
  maxInitBytes: 128 * 1024,
  maxElementBytes: 4 * 1024 * 1024,
  maxChunkBytes: 1024 * 1024,
  burstBytes: 256 * 1024,
  oggFlushMs: 250,
  packetCoalesceMs: 100,
  packetCoalesceLoadPct: 85,
  record: true,
  // About 290 hours of 64 kbps Opus.
  recordMaxBytes: 8 * 1024 ** 3,
  recordMaxDays: 30,
  maxListenerBufferBytes: 512 * 1024,
  // One core serves 10,000 (bench/fanout); the rest of the 20,000 file descriptors stay free.
  maxListenersPerMount: 10_000,
  maxListeners: 15_000,
  maxMounts: 100,
  ingestIdleTimeoutMs: 5_000,
  sourceTimeoutMs: 10_000,
  statusPingIntervalMs: 30_000,
  // A listener page holds one status socket beside its audio: as many as listeners, less the fd headroom.
  maxStatusSockets: 15_000,
  maxStatusSocketsPerAddress: 500,
  headerTimeoutMs: 10_000,
  authMaxFailures: 10,
  authFailureWindowMs: 60_000,
  allowedOrigins: [],
  redisUrl: null,
  hlsPartMs: 200,
  hlsSegmentMs: 1000,
  hlsWindowSegments: 6,
  hlsMaxHeldRequests: 10_000,
  listenAgain: false,
});

export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** One setting: its flag, its env variable, and how to read it. */
interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  /** int: a positive integer; count: zero or more; bool: on|off|true|false|yes|no|1|0. */
  kind: 'string' | 'int' | 'count' | 'bool' | 'port' | 'optionalPort' | 'level' | 'origins' | 'redisUrl';
  help: string;
}

const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', env: 'ONAIR_HOST', kind: 'string', help: 'address to bind' },
  { key: 'port', flag: 'port', env: 'ONAIR_PORT', kind: 'port', help: 'HTTP port' },
  {
    key: 'httpsPort',
    flag: 'https-port',
    env: 'ONAIR_HTTPS_PORT',
    kind: 'optionalPort',
    help: 'HTTPS/HTTP2 port, "off" to disable',
  },
  { key: 'dataDir', flag: 'data', env: 'ONAIR_DATA', kind: 'string', help: 'data directory' },
  { key: 'tlsCertFile', flag: 'tls-cert', env: 'ONAIR_TLS_CERT', kind: 'string', help: 'PEM certificate' },
  { key: 'tlsKeyFile', flag: 'tls-key', env: 'ONAIR_TLS_KEY', kind: 'string', help: 'PEM private key' },
  { key: 'logLevel', flag: 'log-level', env: 'ONAIR_LOG_LEVEL', kind: 'level', help: 'log level' },
  { key: 'maxInitBytes', flag: 'max-init-bytes', env: 'ONAIR_MAX_INIT_BYTES', kind: 'int', help: '' },
  {
    key: 'maxElementBytes',
    flag: 'max-element-bytes',
    env: 'ONAIR_MAX_ELEMENT_BYTES',
    kind: 'int',
    help: '',
  },
  { key: 'maxChunkBytes', flag: 'max-chunk-bytes', env: 'ONAIR_MAX_CHUNK_BYTES', kind: 'int', help: '' },
  { key: 'burstBytes', flag: 'burst-bytes', env: 'ONAIR_BURST_BYTES', kind: 'int', help: '' },
  { key: 'oggFlushMs', flag: 'ogg-flush-ms', env: 'ONAIR_OGG_FLUSH_MS', kind: 'count', help: '' },
  {
    key: 'packetCoalesceMs',
    flag: 'packet-coalesce-ms',
    env: 'ONAIR_PACKET_COALESCE_MS',
    kind: 'count',
    help: '',
  },
  {
    key: 'packetCoalesceLoadPct',
    flag: 'packet-coalesce-load',
    env: 'ONAIR_PACKET_COALESCE_LOAD',
    kind: 'count',
    help: '',
  },
  { key: 'record', flag: 'record', env: 'ONAIR_RECORD', kind: 'bool', help: '' },
  { key: 'recordMaxBytes', flag: 'record-max-bytes', env: 'ONAIR_RECORD_MAX_BYTES', kind: 'count', help: '' },
  { key: 'recordMaxDays', flag: 'record-max-days', env: 'ONAIR_RECORD_MAX_DAYS', kind: 'count', help: '' },
  {
    key: 'maxListenerBufferBytes',
    flag: 'max-listener-buffer-bytes',
    env: 'ONAIR_MAX_LISTENER_BUFFER_BYTES',
    kind: 'int',
    help: '',
  },
  {
    key: 'maxListenersPerMount',
    flag: 'max-listeners-per-mount',
    env: 'ONAIR_MAX_LISTENERS_PER_MOUNT',
    kind: 'int',
    help: '',
  },
  { key: 'maxListeners', flag: 'max-listeners', env: 'ONAIR_MAX_LISTENERS', kind: 'int', help: '' },
  { key: 'maxMounts', flag: 'max-mounts', env: 'ONAIR_MAX_MOUNTS', kind: 'int', help: '' },
  {
    key: 'ingestIdleTimeoutMs',
    flag: 'ingest-idle-timeout-ms',
    env: 'ONAIR_INGEST_IDLE_TIMEOUT_MS',
    kind: 'int',
    help: '',
  },
  {
    key: 'sourceTimeoutMs',
    flag: 'source-timeout-ms',
    env: 'ONAIR_SOURCE_TIMEOUT_MS',
    kind: 'int',
    help: '',
  },
  {
    key: 'allowedOrigins',
    flag: 'allowed-origins',
    env: 'ONAIR_ALLOWED_ORIGINS',
    kind: 'origins',
    help: 'comma-separated origins allowed to upload and open the status socket',
  },
  {
    key: 'redisUrl',
    flag: 'redis',
    env: 'ONAIR_REDIS_URL',
    kind: 'redisUrl',
    help: 'Redis to share mounts with other onair nodes',
  },
  {
    key: 'authMaxFailures',
    flag: 'auth-max-failures',
    env: 'ONAIR_AUTH_MAX_FAILURES',
    kind: 'int',
    help: '',
  },
  {
    key: 'authFailureWindowMs',
    flag: 'auth-failure-window-ms',
    env: 'ONAIR_AUTH_FAILURE_WINDOW_MS',
    kind: 'int',
    help: '',
  },
  {
    key: 'statusPingIntervalMs',
    flag: 'status-ping-interval-ms',
    env: 'ONAIR_STATUS_PING_INTERVAL_MS',
    kind: 'int',
    help: '',
  },
  {
    key: 'maxStatusSockets',
    flag: 'max-status-sockets',
    env: 'ONAIR_MAX_STATUS_SOCKETS',
    kind: 'int',
    help: '',
  },
  {
    key: 'maxStatusSocketsPerAddress',
    flag: 'max-status-sockets-per-ip',
    env: 'ONAIR_MAX_STATUS_SOCKETS_PER_IP',
    kind: 'int',
    help: '',
  },
  {
    key: 'headerTimeoutMs',
    flag: 'header-timeout-ms',
    env: 'ONAIR_HEADER_TIMEOUT_MS',
    kind: 'int',
    help: '',
  },
  { key: 'hlsPartMs', flag: 'hls-part-ms', env: 'ONAIR_HLS_PART_MS', kind: 'int', help: '' },
  { key: 'hlsSegmentMs', flag: 'hls-segment-ms', env: 'ONAIR_HLS_SEGMENT_MS', kind: 'int', help: '' },
  {
    key: 'hlsWindowSegments',
    flag: 'hls-window-segments',
    env: 'ONAIR_HLS_WINDOW_SEGMENTS',
    kind: 'int',
    help: '',
  },
  { key: 'hlsMaxHeldRequests', flag: 'hls-max-held', env: 'ONAIR_HLS_MAX_HELD', kind: 'int', help: '' },
  { key: 'listenAgain', flag: 'listen-again', env: 'ONAIR_LISTEN_AGAIN', kind: 'bool', help: '' },
];

const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const USAGE = `Usage: onair [options]

  --port N               HTTP port (default ${DEFAULTS.port}, env ONAIR_PORT)
  --https-port N|off     HTTPS + HTTP/2 port (default ${DEFAULTS.httpsPort}, env ONAIR_HTTPS_PORT)
  --host ADDR            address to bind (default ${DEFAULTS.host}, env ONAIR_HOST)
  --data DIR             data directory: stream key, certificate (default ${DEFAULTS.dataDir}, env ONAIR_DATA)
  --tls-cert FILE        PEM certificate instead of the generated self-signed one (env ONAIR_TLS_CERT)
  --tls-key FILE         PEM private key for --tls-cert (env ONAIR_TLS_KEY)
  --log-level LEVEL      trace|debug|info|warn|error|silent (default info, env ONAIR_LOG_LEVEL)
  --allowed-origins LIST other sites' origins allowed to upload and use the status socket
                         (comma-separated; default: only this server's own, env ONAIR_ALLOWED_ORIGINS)
  --redis URL            run as one node of a cluster sharing mounts through this Redis,
                         redis://[:password@]host:port[/db] or rediss:// (default: none, one process;
                         env ONAIR_REDIS_URL, which keeps a password out of the process list)
  --help                 show this

  The stream key is generated on first start and kept in DIR/stream-key;
  ONAIR_STREAM_KEY overrides it (environment only, so it never shows in the process list).
  The admin token (user "admin" for /admin/*) likewise: DIR/admin-token, or ONAIR_ADMIN_TOKEN.
  Limits: --max-init-bytes --max-element-bytes --max-chunk-bytes --burst-bytes
          --max-listener-buffer-bytes --max-listeners-per-mount --max-listeners --ingest-idle-timeout-ms --source-timeout-ms
          --status-ping-interval-ms --auth-max-failures --auth-failure-window-ms
          --max-mounts (live at once, default ${DEFAULTS.maxMounts}; more get 503 MOUNT_LIMIT)
          --max-status-sockets (default ${DEFAULTS.maxStatusSockets}; more get 503 STATUS_FULL)
          --max-status-sockets-per-ip (default ${DEFAULTS.maxStatusSocketsPerAddress}; more get 429 STATUS_ADDRESS_LIMIT)
          --header-timeout-ms (request head or TLS handshake must arrive within, default ${DEFAULTS.headerTimeoutMs})
          --ogg-flush-ms (how long the Ogg and MP3/AAC outputs gather data per write, default 250)
          --packet-coalesce-ms (default 100) --packet-coalesce-load (default 85): while the event
          loop is busy at that % and a mount has 500+ low-latency listeners, their packets are
          written in windows of up to that many ms (0 ms: never; load 0: always)
  HLS (/<mount>.m3u8): --hls-part-ms (default ${DEFAULTS.hlsPartMs}) --hls-segment-ms (default ${DEFAULTS.hlsSegmentMs})
          --hls-window-segments (default ${DEFAULTS.hlsWindowSegments}) --hls-max-held (blocking requests
          held at once, default ${DEFAULTS.hlsMaxHeldRequests}; more get 503 HLS_BUSY)
  Recording: --record on|off (default on: DIR/recordings/<mount>/<start>.webm)
          --record-max-bytes (default 8 GiB) --record-max-days (default 30); 0 = no limit
          (env ONAIR_<NAME_IN_CAPS>).
  Listen-again: --listen-again on|off (default off): finished broadcasts, finalised to seekable
          files, listed and played at /listen-again/<mount> (env ONAIR_LISTEN_AGAIN).`;

function parseValue(s: Setting, raw: string): Config[keyof Config] {
  const name = `--${s.flag} / ${s.env}`;
  switch (s.kind) {
    case 'string':
      if (raw === '') throw new ConfigError(name, 'must not be empty');
      return raw;
    case 'origins': {
      const list = raw
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      for (const o of list) {
        let ok = false;
        try {
          const u = new URL(o);
          ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
        } catch {
          ok = false;
        }
        if (!ok) throw new ConfigError(name, `"${o}" is not an origin like https://school.example`);
      }
      return list;
    }
    case 'redisUrl': {
      let u: URL | null = null;
      try {
        u = new URL(raw);
      } catch {
        u = null;
      }
      if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') {
        // The value may hold a password: never echo it.
        throw new ConfigError(name, 'must be a URL like redis://host:6379 or rediss://:password@host:6380');
      }
      return raw;
    }
    case 'level':
      if (!LEVELS.has(raw)) throw new ConfigError(name, `must be one of ${[...LEVELS].join(', ')}`);
      return raw as Config['logLevel'];
    case 'optionalPort':
      if (raw === 'off' || raw === 'none') return null;
      return parsePort(name, raw);
    case 'port':
      return parsePort(name, raw);
    case 'int': {
      if (!/^\d+$/.test(raw) || Number(raw) <= 0 || !Number.isSafeInteger(Number(raw))) {
        throw new ConfigError(name, `must be a positive integer, got "${raw}"`);
      }
      return Number(raw);
    }
    case 'count': {
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new ConfigError(name, `must be 0 or a positive integer, got "${raw}"`);
      }
      return Number(raw);
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['on', 'true', 'yes', '1'].includes(v)) return true;
      if (['off', 'false', 'no', '0'].includes(v)) return false;
      throw new ConfigError(name, `must be on or off, got "${raw}"`);
    }
  }
}

function parsePort(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(name, `must be a port 0–65535, got "${raw}"`);
  return n;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  help: boolean;
}

/** Builds the configuration from defaults, `env` and `argv` (without node and script), then validates it. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Config> = {},
): LoadedConfig {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } };
  for (const s of SETTINGS) options[s.flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new ConfigError('arguments', (err as Error).message);
  }
  const config: Config = { ...DEFAULTS };
  const target = config as unknown as Record<string, unknown>;
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') target[s.key] = parseValue(s, fromEnv);
    const fromFlag = parsed.values[s.flag];
    if (typeof fromFlag === 'string') target[s.key] = parseValue(s, fromFlag);
  }
  const key = env.ONAIR_STREAM_KEY;
  if (key !== undefined && key !== '') config.streamKey = key;
  const token = env.ONAIR_ADMIN_TOKEN;
  if (token !== undefined && token !== '') config.adminToken = token;
  Object.assign(config, overrides);
  validate(config);
  config.dataDir = resolve(config.dataDir);
  return { config: Object.freeze(config), help: parsed.values.help === true };
}

function validate(c: Config): void {
  if ((c.tlsCertFile === null) !== (c.tlsKeyFile === null)) {
    throw new ConfigError('--tls-cert / --tls-key', 'give both the certificate and the key, or neither');
  }
  if (c.streamKey !== null && c.streamKey.length < 8) {
    throw new ConfigError('ONAIR_STREAM_KEY', 'must be at least 8 characters');
  }
  if (c.adminToken !== null && c.adminToken.length < 12) {
    throw new ConfigError('ONAIR_ADMIN_TOKEN', 'must be at least 12 characters');
  }
  if (c.httpsPort !== null && c.httpsPort !== 0 && c.httpsPort === c.port) {
    throw new ConfigError('--https-port', `must differ from --port (${c.port})`);
  }
  if (c.burstBytes < 1024) throw new ConfigError('--burst-bytes', 'must be at least 1024');
  if (c.oggFlushMs < 0 || c.oggFlushMs > 1000) throw new ConfigError('--ogg-flush-ms', 'must be 0 to 1000');
  if (c.packetCoalesceMs > 500) throw new ConfigError('--packet-coalesce-ms', 'must be 0 to 500');
  if (c.packetCoalesceLoadPct > 100) throw new ConfigError('--packet-coalesce-load', 'must be 0 to 100');
  if (c.maxStatusSocketsPerAddress > c.maxStatusSockets) {
    throw new ConfigError(
      '--max-status-sockets-per-ip',
      `must not exceed --max-status-sockets (${c.maxStatusSockets})`,
    );
  }
  // Parts of 100 ms to 1 s; a segment holds at least two; a window of at least three segments.
  if (c.hlsPartMs < 100 || c.hlsPartMs > 1000) throw new ConfigError('--hls-part-ms', 'must be 100 to 1000');
  if (c.hlsSegmentMs < 2 * c.hlsPartMs || c.hlsSegmentMs > 10_000) {
    throw new ConfigError('--hls-segment-ms', `must be ${2 * c.hlsPartMs} (two parts) to 10000`);
  }
  if (c.hlsWindowSegments < 3 || c.hlsWindowSegments > 60) {
    throw new ConfigError('--hls-window-segments', 'must be 3 to 60');
  }
  // Below a second, real clients on slow phone networks would be cut before their request arrives;
  // above a minute, a slowloris holds its socket for nothing.
  if (c.headerTimeoutMs < 1000 || c.headerTimeoutMs > 60_000) {
    throw new ConfigError('--header-timeout-ms', 'must be 1000 to 60000');
  }
}
