/**
 * The two listeners: plain HTTP behind the front door (Icecast sources and stream GETs off the raw
 * socket, the rest to express), and HTTPS speaking HTTP/2 (streaming upload needs it) and HTTP/1.1
 * (WebSocket, older clients). Both serve the same express router; WebSocket upgrades go to the
 * status server. `close()` stops both and destroys every socket still open.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Express, Request, Response, Router } from 'express';
import express from 'express';
import { paths } from '../../shared/protocol.js';
import type { ChannelAccessCheck } from '../channels/access.js';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StatusServer } from '../outputs/status.js';
import { rejectUpgrade } from '../outputs/status.js';
import type { FrontDoorOptions } from './front-door.js';
import { frontDoor } from './front-door.js';
import { http2App } from './h2-bridge.js';
import { destroyOnError } from './raw-reply.js';
import type { TlsMaterial } from './tls.js';

/**
 * Connections the kernel may hold for us before we accept them. Node's default (511) overflows when
 * a hall joins at a thousand a second while the process is busy: the kernel then drops SYNs and the
 * phones wait a whole retransmit (1 s, then 3 s). The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

export interface ListenerOptions {
  config: Pick<Readonly<Config>, 'port' | 'httpsPort' | 'host' | 'headerTimeoutMs'>;
  tls: TlsMaterial | null;
  router: Router;
  status: StatusServer;
  frontDoor: Omit<FrontDoorOptions, 'headerTimeoutMs'>;
  /** Private channels: the one access check, here for the status socket (`/ws?mount=`). */
  access?: ChannelAccessCheck;
  log: Logger;
}

export interface Listeners {
  httpPort: number;
  /** Null when HTTPS is off. */
  httpsPort: number | null;
  close(): Promise<void>;
}

export async function startListeners(options: ListenerOptions): Promise<Listeners> {
  const { config, tls, router, status, log } = options;
  const makeApp = (): Express => {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(router);
    return app;
  };
  // One router, two express apps: one for node:http requests, one for node:http2 compat requests.
  const h1App = makeApp();
  const h2App = http2App(makeApp());

  // Every open socket, to destroy at close(). The handlers are shared functions (`this` is the
  // socket), not closures: a listener holds its socket for hours, and a closure per socket is memory
  // per listener.
  const sockets = new Set<Socket>();
  function untrack(this: Socket): void {
    sockets.delete(this);
  }
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', untrack);
  };
  const onUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', destroyOnError);
    const refused = options.access?.(req, statusMountOf(req.url));
    if (refused) {
      rejectUpgrade(socket, refused);
      return;
    }
    if (!status.handleUpgrade(req, socket, head)) {
      rejectUpgrade(socket, new ApiError('NOT_FOUND', `No WebSocket at ${req.url?.slice(0, 100) ?? '/'}.`));
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
  const front = frontDoor(httpServer, { ...options.frontDoor, headerTimeoutMs: config.headerTimeoutMs });
  front.on('connection', track);
  await listen(front, config.port, config.host);
  const httpPort = (front.address() as AddressInfo).port;

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
    server.on('sessionError', (err) => log.debug({ err }, 'http2 session error'));
    await listen(server, config.httpsPort, config.host);
    httpsServer = server;
  }

  return {
    httpPort,
    httpsPort: httpsServer ? (httpsServer.address() as AddressInfo).port : null,
    async close(): Promise<void> {
      const done = Promise.all([closeServer(front), httpsServer ? closeServer(httpsServer) : null]);
      // Stops the head-timeout checker started above (it was never listening: the callback's error is moot).
      httpServer.close(() => {});
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}

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

/** The mount a status-socket upgrade asks for (`/ws?mount=`), '' for any other URL. */
function statusMountOf(url: string | undefined): string {
  try {
    const u = new URL(url ?? '/', 'http://x');
    return u.pathname === paths.status ? (u.searchParams.get('mount') ?? '') : '';
  } catch {
    return '';
  }
}
