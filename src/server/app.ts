/**
 * The composition root: builds the parts in data-flow order (ingest → hub → outputs, the cluster
 * beside the hub), hands them to the HTTP router and the listeners, and stops them in reverse.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListenerHistory } from './admin/history.js';
import { AdminSessions } from './admin/session.js';
import { streamKeys } from './auth/gate.js';
import type { AuthLimiterOptions } from './auth/limiter.js';
import { AuthLimiter } from './auth/limiter.js';
import { loadSecrets } from './auth/secrets.js';
import type { AccessRequest } from './channels/access.js';
import { ChannelAccess } from './channels/access.js';
import { keyMatches } from './channels/channel.js';
import { enforceChannelChanges } from './channels/enforce.js';
import { ChannelStore } from './channels/store.js';
import { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import { startListeners } from './http/listeners.js';
import { appRouter } from './http/router.js';
import type { TlsMaterial } from './http/tls.js';
import { serverTls } from './http/tls.js';
import { Hub } from './hub/hub.js';
import { IngestSessions } from './ingest/session.js';
import type { Logger } from './log.js';
import { HlsOutput } from './outputs/hls.js';
import { PacketStatus } from './outputs/packet-status.js';
import type { StatusServerOptions } from './outputs/status.js';
import { StatusServer } from './outputs/status.js';
import { StatusFeed } from './outputs/status-feed.js';
import type { RecorderOptions } from './recording/recorder.js';
import { Recorder } from './recording/recorder.js';

export const VERSION = '0.1.0';

/** Where `scripts/build.mjs` puts the pages, seen from build/node/src/server/app.js. */
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));

/** Addresses the failed-key limiter remembers at most (the oldest are forgotten first). */
const MAX_TRACKED_ADDRESSES = 10_000;

export interface OnairServer {
  /** `http://host:port` of the plain listener (host 127.0.0.1 when bound to all addresses). */
  httpUrl: string;
  /** `https://…` of the HTTP/2 listener, or null when HTTPS is off. */
  httpsUrl: string | null;
  httpPort: number;
  httpsPort: number | null;
  streamKey: string;
  streamKeyCreated: boolean;
  adminToken: string;
  adminTokenCreated: boolean;
  tls: TlsMaterial | null;
  hub: Hub;
  /** The HLS output (its held-request count, for tests and metrics). */
  hls: HlsOutput;
  /** This node's part of the Redis cluster, or null without `--redis`. */
  cluster: Cluster | null;
  close(): Promise<void>;
  /**
   * Stops at once without a goodbye to the cluster: claims are not released (they expire) and no
   * end entries are written, as when the process dies. For tests of a node failing.
   */
  crash(): Promise<void>;
}

export async function startServer(
  config: Readonly<Config>,
  log: Logger,
  options: { publicDir?: string } = {},
): Promise<OnairServer> {
  const secrets = await loadSecrets(config);
  const tls = await serverTls(config);
  const authLimiter = new AuthLimiter(authLimits(config));
  // Channels (issue 16) load before anything starts: a channels.json that cannot be read stops the start.
  const store = new ChannelStore({
    dataDir: config.dataDir,
    redisUrl: config.redisUrl,
    log: scope(log, 'channels'),
  });
  await store.start().catch(async (err: unknown) => {
    await store.close();
    throw err;
  });

  // ingest → hub → outputs; the cluster beside the hub, the recorder a tap on it.
  const hub = new Hub({
    burstBytes: config.burstBytes,
    oggFlushMs: config.oggFlushMs,
    packetCoalesceMs: config.packetCoalesceMs,
    packetCoalesceLoad: config.packetCoalesceLoadPct / 100,
    log: scope(log, 'hub'),
  });
  const cluster = config.redisUrl ? new Cluster(clusterOptions(config.redisUrl, config, hub, log)) : null;
  // SessionLimits and ListenLimits are named as in Config: the config is passed as both.
  const sessions = new IngestSessions({ hub, limits: config, log: scope(log, 'ingest'), claims: cluster });
  cluster?.attach(sessions);
  const recorder = config.record
    ? new Recorder({
        ...recorderOptions(config, hub, log),
        // A channel's own settings: recording on or off, and its retention.
        records: (mount) => store.get(mount)?.record ?? true,
        retentionDaysOf: (mount) => store.get(mount)?.retentionDays ?? 0,
      })
    : null;
  // Status goes out through one feed, on the status sockets and in the packet streams that ask.
  const feed = new StatusFeed(hub);
  const status = new StatusServer(statusOptions(config, feed, log));
  const packetStatus = new PacketStatus(hub, feed);
  const hls = new HlsOutput({
    hub,
    timing: {
      partMs: config.hlsPartMs,
      segmentMs: config.hlsSegmentMs,
      windowSegments: config.hlsWindowSegments,
    },
    maxHeldRequests: config.hlsMaxHeldRequests,
    log: scope(log, 'hls'),
  });

  // Channels: per-channel keys, private channels, the dashboard (issue 16).
  store.onKick((mount) => sessions.endMount(mount, 'stopped'));
  enforceChannelChanges(store, { hub, sessions, status, log: scope(log, 'channels') });
  const channels = {
    store,
    keys: streamKeys(secrets.streamKey, (mount) => store.get(mount)?.keyHash, keyMatches),
    access: new ChannelAccess(store),
    adminSessions: new AdminSessions(secrets.adminToken),
    history: new ListenerHistory(hub),
  };
  const channelAccess = (req: AccessRequest, mount: string) => channels.access.check(req, mount);

  let closing: Promise<void> | null = null;
  const ports = { http: 0, https: null as number | null };
  const router = appRouter({
    ...{ config, log, secrets, authLimiter, hub, sessions, cluster, recorder, status, packetStatus, hls },
    listenLimits: config,
    version: VERSION,
    publicDir: options.publicDir ?? DEFAULT_PUBLIC_DIR,
    ports: () => ports,
    closing: () => closing !== null,
    channels,
  });
  const source = {
    sessions,
    authLimiter,
    keys: channels.keys,
    sourceTimeoutMs: config.sourceTimeoutMs,
  };
  const listeners = await startListeners({
    ...{ config, tls, router, status, log },
    frontDoor: {
      ...{ source: { ...source, log: scope(log, 'source') }, hub, listen: config, packetStatus },
      access: channelAccess,
    },
    access: channelAccess,
  });
  ports.http = listeners.httpPort;
  ports.https = listeners.httpsPort;

  const stop = async (goodbye: boolean): Promise<void> => {
    status.close();
    feed.close();
    if (!goodbye) await cluster?.close({ release: false });
    sessions.close();
    hub.close();
    hls.close();
    await recorder?.close();
    channels.history.close();
    // After the broadcasts ended: their end entries go out, then their claims are released.
    await cluster?.close({ release: true });
    await listeners.close();
    await store.close();
  };
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    httpUrl: `http://${shownHost}:${ports.http}`,
    httpsUrl: ports.https === null ? null : `https://${shownHost}:${ports.https}`,
    ...{ httpPort: ports.http, httpsPort: ports.https, tls, hub, hls, cluster },
    ...secrets,
    close: () => (closing ??= stop(true)),
    crash: () => (closing ??= stop(false)),
  };
}

function scope(log: Logger, name: string): Logger {
  return log.child({ scope: name });
}

function authLimits(config: Readonly<Config>): AuthLimiterOptions {
  return {
    maxFailures: config.authMaxFailures,
    windowMs: config.authFailureWindowMs,
    maxTrackedAddresses: MAX_TRACKED_ADDRESSES,
  };
}

function clusterOptions(
  url: string,
  config: Readonly<Config>,
  hub: Hub,
  log: Logger,
): ConstructorParameters<typeof Cluster>[0] {
  return {
    url,
    hub,
    log: scope(log, 'cluster'),
    defaultGraceMs: config.ingestIdleTimeoutMs,
  };
}

function recorderOptions(config: Readonly<Config>, hub: Hub, log: Logger): RecorderOptions {
  // Only mounts whose broadcast this node takes are recorded (the recorder asks the mount's origin).
  return {
    hub,
    dir: path.join(config.dataDir, 'recordings'),
    maxBytes: config.recordMaxBytes,
    maxAgeDays: config.recordMaxDays,
    log: scope(log, 'recording'),
  };
}

function statusOptions(config: Readonly<Config>, feed: StatusFeed, log: Logger): StatusServerOptions {
  return {
    feed,
    log: scope(log, 'status'),
    pingIntervalMs: config.statusPingIntervalMs,
    allowedOrigins: config.allowedOrigins,
    maxSockets: config.maxStatusSockets,
    maxSocketsPerAddress: config.maxStatusSocketsPerAddress,
  };
}
