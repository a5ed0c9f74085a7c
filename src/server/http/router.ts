/**
 * Every HTTP route in one router, in data-flow order: ingest, listeners, Icecast status, admin, ops,
 * pages; then 404 and the error answer for anything a route let through.
 */
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import type { ServerInfo } from '../../shared/protocol.js';
import { DEFAULT_MOUNT } from '../../shared/protocol.js';
import { adminChannelsRouter, joinPathOf } from '../admin/channels.js';
import type { ListenerHistory } from '../admin/history.js';
import { adminRecordingsRouter } from '../admin/recordings.js';
import type { AdminSessions } from '../admin/session.js';
import { listenAgainRouter } from '../again/routes.js';
import type { StreamKeys } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import type { Secrets } from '../auth/secrets.js';
import type { ChannelAccess } from '../channels/access.js';
import { joinRouter } from '../channels/routes.js';
import type { ChannelStore } from '../channels/store.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import { ApiError, sendError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import { ingestRouter } from '../ingest/routes.js';
import type { IngestSessions } from '../ingest/session.js';
import type { Logger } from '../log.js';
import { createMetrics } from '../ops/metrics.js';
import type { Readiness } from '../ops/routes.js';
import { opsRouter } from '../ops/routes.js';
import type { HlsOutput } from '../outputs/hls.js';
import { icecastStatusRouter } from '../outputs/icecast-status.js';
import type { ListenLimits } from '../outputs/listen.js';
import { listenRouter } from '../outputs/listen.js';
import type { PacketStatus } from '../outputs/packet-status.js';
import type { StatusServer } from '../outputs/status.js';
import type { Recorder } from '../recording/recorder.js';
import { reachableAddresses } from './lan.js';
import { pagesRouter } from './pages.js';

export interface RouterParts {
  config: Readonly<Config>;
  log: Logger;
  secrets: Secrets;
  authLimiter: AuthLimiter;
  hub: Hub;
  sessions: IngestSessions;
  cluster: Cluster | null;
  recorder: Recorder | null;
  status: StatusServer;
  packetStatus: PacketStatus;
  hls: HlsOutput;
  listenLimits: ListenLimits;
  version: string;
  publicDir: string;
  /** The listeners' ports, once they listen (`/api/info`). */
  ports: () => { http: number; https: number | null };
  /** True once the server is closing (`/readyz`). */
  closing: () => boolean;
  /** Channels (issue 16): their store, keys, the private-channel check, the dashboard's sessions. */
  channels: ChannelParts;
}

export interface ChannelParts {
  store: ChannelStore;
  keys: StreamKeys;
  access: ChannelAccess;
  adminSessions: AdminSessions;
  history: ListenerHistory;
}

export function appRouter(parts: RouterParts): express.Router {
  const { config, log, secrets, authLimiter, hub, sessions, cluster } = parts;
  const readiness = (): Readiness => {
    if (parts.closing()) return { ready: false, reason: 'shutting down' };
    if (cluster && !cluster.ready) return { ready: false, reason: 'redis unreachable' };
    return { ready: true };
  };
  const info = (): ServerInfo => ({
    name: 'onair',
    version: parts.version,
    httpPort: parts.ports().http,
    httpsPort: parts.ports().https,
    defaultMount: DEFAULT_MOUNT,
    lanAddresses: reachableAddresses(config.host),
  });
  const admin = log.child({ scope: 'admin' });
  const { store, keys, access, adminSessions } = parts.channels;
  const router = express.Router();
  // Private channels: every listener path (streams, HLS) refused without the join cookie, in one place.
  router.use((req, res, next) => {
    const refused =
      req.method === 'GET' || req.method === 'HEAD' ? access.checkPath(req, req.path, res) : null;
    if (refused) {
      res.setHeader('access-control-allow-origin', '*');
      sendError(res, refused);
      return;
    }
    next();
  });
  router.use(
    ingestRouter({
      allowedOrigins: config.allowedOrigins,
      sessions,
      authLimiter,
      keys,
      joinPath: (mount) => joinPathOf(store.get(mount)),
      maxChunkBytes: config.maxChunkBytes,
      log: log.child({ scope: 'ingest' }),
    }),
  );
  router.use(
    listenRouter({
      ...parts.listenLimits,
      hub,
      log: log.child({ scope: 'listen' }),
      packetStatus: parts.packetStatus,
    }),
  );
  router.use(parts.hls.router());
  router.use(joinRouter({ store, access, authLimiter, log: log.child({ scope: 'join' }) }));
  router.use(
    icecastStatusRouter({
      hub,
      authLimiter,
      keys,
      unlisted: (mount) => access.isPrivate(mount),
      adminToken: secrets.adminToken,
      serverId: `onair ${parts.version}`,
      startedAt: new Date(),
      log: admin,
    }),
  );
  router.use(
    adminChannelsRouter({
      store,
      sessions: adminSessions,
      ingest: sessions,
      hub,
      history: parts.channels.history,
      adminToken: secrets.adminToken,
      authLimiter,
      publicDir: parts.publicDir,
      log: admin,
    }),
  );
  router.use(
    adminRecordingsRouter({
      recorder: parts.recorder,
      adminToken: secrets.adminToken,
      authLimiter,
      sessions: adminSessions,
      log: admin,
    }),
  );
  router.use(
    opsRouter({
      registry: createMetrics({
        hub,
        sessions,
        cluster,
        statusConnections: () => parts.status.connections,
      }),
      readiness,
      adminToken: secrets.adminToken,
      authLimiter,
      log: admin,
    }),
  );
  router.use(
    listenAgainRouter({
      recorder: parts.recorder,
      // A channel's own switch; mounts that are not channels follow --listen-again.
      offers: (mount) => store.get(mount)?.listenAgain ?? config.listenAgain,
      // A private channel's recordings need its join cookie, like its live audio.
      mayHear: (req, mount) => access.check(req, mount),
      publicDir: parts.publicDir,
      log: log.child({ scope: 'listen-again' }),
    }),
  );
  router.use(pagesRouter({ publicDir: parts.publicDir, info }));
  router.use((req: Request, res: Response) => {
    sendError(res, new ApiError('NOT_FOUND', `Nothing at ${req.method} ${req.path}.`));
  });
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // body-parser and friends: a client error (malformed JSON, body too large) with its status.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, new ApiError('BAD_REQUEST', `The request body could not be read (${status}).`));
      return;
    }
    log.error({ err }, 'request failed');
    sendError(res, new ApiError('INTERNAL', 'Something went wrong on the server.'));
  });
  return router;
}
