/**
 * Wires the server in data-flow order: ingest → hub → outputs (HTTP listeners, status socket),
 * behind a plain HTTP listener and an HTTPS listener that speaks HTTP/2 (streaming upload needs it)
 * and HTTP/1.1 (WebSocket, older clients).
 */
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express, NextFunction, Request, Response } from 'express';
import express from 'express';
import type { ServerInfo } from '../shared/protocol.js';
import { DEFAULT_MOUNT } from '../shared/protocol.js';
import { adminRecordingsRouter } from './admin/recordings.js';
import { AuthLimiter } from './auth/limiter.js';
import { ADMIN_TOKEN_FILE, loadOrCreateSecret, loadOrCreateStreamKey } from './auth/secrets.js';
import { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import { KitError, sendError } from './errors.js';
import { frontDoor } from './front-door.js';
import { Hub } from './hub/hub.js';
import { ingestRouter } from './ingest/routes.js';
import { IngestSessions } from './ingest/session.js';
import { lanAddresses, machineName } from './lan.js';
import type { Logger } from './log.js';
import { createMetrics } from './ops/metrics.js';
import { opsRouter } from './ops/routes.js';
import { icecastStatusRouter } from './outputs/icecast-status.js';
import type { ListenLimits } from './outputs/listen.js';
import { listenRouter } from './outputs/listen.js';
import { rejectUpgrade, StatusServer } from './outputs/status.js';
import { pagesRouter } from './pages.js';
import { Recorder } from './recording/recorder.js';
import type { TlsMaterial } from './tls.js';
import { loadTls } from './tls.js';

export const VERSION = '0.1.0';

/** Where `scripts/build.mjs` puts the pages, seen from build/node/src/server/app.js. */
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));

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
  /** This node's part of the Redis cluster, or null without `--redis`. */
  cluster: Cluster | null;
  close(): Promise<void>;
  /**
   * Stops at once without a goodbye to the cluster: claims are not released (they expire) and no
   * end entries are written, as when the process dies. For tests of a node failing.
   */
  crash(): Promise<void>;
}

/** Makes an express app that runs on node:http2 compat requests (express assumes node:http's). */
function http2App(app: Express): Express {
  const bridge = (base: object, proto: object): object => {
    const out = Object.create(proto) as object;
    for (const name of Object.getOwnPropertyNames(base)) {
      const d = Object.getOwnPropertyDescriptor(base, name);
      if (d) Object.defineProperty(out, name, d);
    }
    return out;
  };
  const appProp = { app: { configurable: true, enumerable: true, writable: true, value: app } };
  app.request = Object.create(bridge(express.request, http2.Http2ServerRequest.prototype), appProp);
  app.response = Object.create(bridge(express.response, http2.Http2ServerResponse.prototype), appProp);
  return app;
}

export async function startServer(
  config: Readonly<Config>,
  log: Logger,
  options: { publicDir?: string } = {},
): Promise<OnairServer> {
  const publicDir = options.publicDir ?? DEFAULT_PUBLIC_DIR;
  const { key: streamKey, created: streamKeyCreated } = config.streamKey
    ? { key: config.streamKey, created: false }
    : await loadOrCreateStreamKey(config.dataDir);
  const { key: adminToken, created: adminTokenCreated } = config.adminToken
    ? { key: config.adminToken, created: false }
    : await loadOrCreateSecret(config.dataDir, ADMIN_TOKEN_FILE);
  const tls =
    config.httpsPort === null
      ? null
      : await loadTls({
          dataDir: config.dataDir,
          certFile: config.tlsCertFile,
          keyFile: config.tlsKeyFile,
          hostnames: [machineName(), `${machineName()}.local`],
          ips: lanAddresses(),
        });

  const authLimiter = new AuthLimiter({
    maxFailures: config.authMaxFailures,
    windowMs: config.authFailureWindowMs,
    maxTrackedAddresses: 10_000,
  });
  const hub = new Hub({
    burstBytes: config.burstBytes,
    oggFlushMs: config.oggFlushMs,
    log: log.child({ scope: 'hub' }),
  });
  const cluster = config.redisUrl
    ? new Cluster({
        url: config.redisUrl,
        hub,
        log: log.child({ scope: 'cluster' }),
        defaultGraceMs: config.ingestIdleTimeoutMs,
      })
    : null;
  const sessions = new IngestSessions({
    hub,
    limits: {
      maxInitBytes: config.maxInitBytes,
      maxElementBytes: config.maxElementBytes,
      ingestIdleTimeoutMs: config.ingestIdleTimeoutMs,
      maxMounts: config.maxMounts,
    },
    log: log.child({ scope: 'ingest' }),
    claims: cluster,
  });
  cluster?.attach(sessions);
  const recorder = config.record
    ? new Recorder({
        hub,
        dir: path.join(config.dataDir, 'recordings'),
        maxBytes: config.recordMaxBytes,
        maxAgeDays: config.recordMaxDays,
        log: log.child({ scope: 'recording' }),
        // The node that takes the broadcast records it; nodes relaying it from Redis do not.
        shouldRecord: (mount) => sessions.isLive(mount),
      })
    : null;
  const status = new StatusServer({
    hub,
    log: log.child({ scope: 'status' }),
    pingIntervalMs: config.statusPingIntervalMs,
    allowedOrigins: config.allowedOrigins,
    maxSockets: config.maxStatusSockets,
    maxSocketsPerIp: config.maxStatusSocketsPerIp,
  });

  let httpPort = 0;
  let httpsPort: number | null = null;
  const info = (): ServerInfo => ({
    name: 'onair',
    version: VERSION,
    httpPort,
    httpsPort,
    defaultMount: DEFAULT_MOUNT,
    lanAddresses: reachableAddresses(config.host),
  });

  const listenLimits: ListenLimits = {
    maxListenerBufferBytes: config.maxListenerBufferBytes,
    maxListenersPerMount: config.maxListenersPerMount,
    maxListeners: config.maxListeners,
  };

  // One router, two express apps: one for node:http requests, one for node:http2 compat requests.
  const router = express.Router();
  router.use(
    ingestRouter({
      allowedOrigins: config.allowedOrigins,
      sessions,
      authLimiter,
      streamKey,
      maxChunkBytes: config.maxChunkBytes,
      log: log.child({ scope: 'ingest' }),
    }),
  );
  router.use(listenRouter({ ...listenLimits, hub, log: log.child({ scope: 'listen' }) }));
  router.use(
    icecastStatusRouter({
      hub,
      authLimiter,
      streamKey,
      adminToken,
      serverId: `onair ${VERSION}`,
      startedAt: new Date(),
      log: log.child({ scope: 'admin' }),
    }),
  );
  router.use(
    adminRecordingsRouter({ recorder, adminToken, authLimiter, log: log.child({ scope: 'admin' }) }),
  );
  let closing: Promise<void> | null = null;
  router.use(
    opsRouter({
      registry: createMetrics({ hub, sessions, cluster, statusConnections: () => status.connections }),
      readiness: () => {
        if (closing) return { ready: false, reason: 'shutting down' };
        if (cluster && !cluster.ready) return { ready: false, reason: 'redis unreachable' };
        return { ready: true };
      },
      adminToken,
      authLimiter,
      log: log.child({ scope: 'admin' }),
    }),
  );
  router.use(pagesRouter({ publicDir, info }));
  router.use((req: Request, res: Response) => {
    sendError(res, new KitError('NOT_FOUND', `Nothing at ${req.method} ${req.path}.`));
  });
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // body-parser and friends: a client error (malformed JSON, body too large) with its status.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, new KitError('BAD_REQUEST', `The request body could not be read (${status}).`));
      return;
    }
    log.error({ err }, 'request failed');
    sendError(res, new KitError('INTERNAL', 'Something went wrong on the server.'));
  });
  const makeApp = (): Express => {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(router);
    return app;
  };
  const h1App = makeApp();
  const h2App = http2App(makeApp());

  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const onUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (!status.handleUpgrade(req, socket, head)) {
      rejectUpgrade(socket, new KitError('NOT_FOUND', `No WebSocket at ${req.url?.slice(0, 100) ?? '/'}.`));
    }
  };

  // Connections the front door hands over (POST, OPTIONS, …, and every later request on a kept-alive
  // connection) get the same deadline for their head: Node answers 408 and closes. Checked twice a
  // second instead of Node's default every 30 s.
  const httpServer = http.createServer(
    {
      headersTimeout: config.headerTimeoutMs,
      // Bodies have their own deadlines (chunk read, ingest idle); a whole-request cap would cut long uploads.
      requestTimeout: 0,
      connectionsCheckingInterval: Math.min(500, config.headerTimeoutMs / 2),
    },
    h1App,
  );
  // This server never listens itself (the front door does), and Node starts the connection list its
  // head and request timeouts are checked on only at 'listening': without this, no timeout applies.
  // test/integration/hostile-http.test.ts holds a slow POST head to it.
  httpServer.emit('listening');
  httpServer.on('upgrade', onUpgrade);
  // Icecast source clients and stream listeners are read off the raw socket; the rest is HTTP.
  const front = frontDoor(httpServer, {
    source: {
      sessions,
      authLimiter,
      streamKey,
      sourceTimeoutMs: config.sourceTimeoutMs,
      log: log.child({ scope: 'source' }),
    },
    hub,
    listen: listenLimits,
    headerTimeoutMs: config.headerTimeoutMs,
  });
  front.on('connection', track);
  await listen(front, config.port, config.host);
  httpPort = (front.address() as AddressInfo).port;

  let httpsServer: http2.Http2SecureServer | null = null;
  if (tls && config.httpsPort !== null) {
    const server = http2.createSecureServer(
      { cert: tls.cert, key: tls.key, allowHTTP1: true, handshakeTimeout: config.headerTimeoutMs },
      (req, res) => {
        if (req.httpVersionMajor === 2) h2App(req as unknown as Request, res as unknown as Response);
        else h1App(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
      },
    );
    server.on('connection', track);
    server.on('upgrade', onUpgrade);
    server.on('sessionError', (err) => log.debug({ err: err.message }, 'http2 session error'));
    await listen(server, config.httpsPort, config.host);
    httpsPort = (server.address() as AddressInfo).port;
    httpsServer = server;
  }

  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const stop = async (goodbye: boolean): Promise<void> => {
    status.close();
    if (!goodbye) await cluster?.close({ release: false });
    sessions.close();
    hub.close();
    recorder?.close();
    // After the broadcasts ended: their end entries go out, then their claims are released.
    await cluster?.close({ release: true });
    const done = Promise.all([closeServer(front), httpsServer ? closeServer(httpsServer) : null]);
    // Stops the head-timeout checker started above (it was never listening: the callback's error is moot).
    httpServer.close(() => {});
    for (const s of sockets) s.destroy();
    await done;
  };
  return {
    httpUrl: `http://${shownHost}:${httpPort}`,
    httpsUrl: httpsPort === null ? null : `https://${shownHost}:${httpsPort}`,
    httpPort,
    httpsPort,
    streamKey,
    streamKeyCreated,
    adminToken,
    adminTokenCreated,
    tls,
    hub,
    cluster,
    close(): Promise<void> {
      closing ??= stop(true);
      return closing;
    },
    crash(): Promise<void> {
      closing ??= stop(false);
      return closing;
    },
  };
}

/**
 * Connections the kernel may hold for us before we accept them. Node's default (511) overflows when
 * a hall joins at a thousand a second while the process is busy: the kernel then drops SYNs and the
 * phones wait a whole retransmit (1 s, then 3 s). The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Addresses other machines can use: every LAN address when bound to all, none for loopback. */
function reachableAddresses(host: string): string[] {
  if (host === '0.0.0.0' || host === '::') return lanAddresses();
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return [];
  return [host];
}
