/**
 * The plain-HTTP front door: each new connection's request head is read here first. Icecast source
 * clients (`SOURCE`, or `PUT` to a mount, and libshout's `OPTIONS *` TLS probe before them) and stream
 * listeners (`GET /<mount>…`) are served from the raw socket; every other connection goes to the HTTP
 * server untouched.
 */
import type { Server } from 'node:http';
import net from 'node:net';
import type { ChannelAccessCheck } from '../channels/access.js';
import { listenerMountOf } from '../channels/access.js';
import type { Hub } from '../hub/hub.js';
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead } from '../ingest/http-head.js';
import type { SourceOptions } from '../ingest/icecast-source.js';
import { answerTlsUpgradeProbe, isTlsUpgradeProbe, serveSource } from '../ingest/icecast-source.js';
import type { ListenLimits, ListenOptions } from '../outputs/listen.js';
import type { PacketStatus } from '../outputs/packet-status.js';
import { isRawListen, serveRawListener } from '../outputs/raw-listen.js';
import { destroyOnError, rawHead, replyError } from './raw-reply.js';

/** Methods the front door may keep; anything else goes to the HTTP server as soon as it is seen. */
const OURS: ReadonlySet<string> = new Set(['SOURCE', 'PUT', 'GET', 'HEAD', 'OPTIONS']);

export interface FrontDoorOptions {
  source: SourceOptions;
  hub: Hub;
  listen: ListenLimits;
  packetStatus: PacketStatus;
  /** Private channels: the one access check, here for the plain-HTTP listeners served off the raw socket. */
  access?: ChannelAccessCheck;
  /** A connection must send its whole request head within this time, or it is destroyed (slowloris). */
  headerTimeoutMs: number;
}

/** Returns the net.Server to listen on in front of `httpServer`. */
export function frontDoor(httpServer: Server, options: FrontDoorOptions): net.Server {
  const listenOptions: ListenOptions = {
    ...options.listen,
    hub: options.hub,
    log: options.source.log,
    packetStatus: options.packetStatus,
  };
  return net.createServer((socket) => {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), options.headerTimeoutMs);
    const handOver = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (buf.length > 0) socket.unshift(buf);
      httpServer.emit('connection', socket);
      socket.resume();
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const space = buf.indexOf(0x20);
      if (space < 0 && buf.length < 8) return;
      if (!OURS.has(buf.toString('latin1', 0, space < 0 ? 8 : space))) {
        handOver();
        return;
      }
      const end = findHeadEnd(buf);
      // Too large whether or not its end has come in the same read (Node's own cap is the same size).
      if (end < 0 ? buf.length > MAX_HEAD_BYTES : end > MAX_HEAD_BYTES) {
        // Answer, then stop keeping what the peer still sends: the head timer destroys the socket.
        socket.off('data', onData);
        buf = Buffer.alloc(0);
        socket.end(rawHead(431, {}, '1.0'));
        return;
      }
      if (end < 0) return;
      const head = parseRequestHead(buf.subarray(0, end));
      if (head?.method === 'OPTIONS' && isTlsUpgradeProbe(head)) {
        clearTimeout(timer);
        socket.off('data', onData);
        answerTlsUpgradeProbe(socket, head, options.source.log);
        return;
      }
      const isSource =
        head && (head.method === 'SOURCE' || (head.method === 'PUT' && !head.path.startsWith('/api/')));
      const isListen = head && !head.headers.upgrade && isRawListen(head);
      if (!head || !(isSource || isListen)) {
        // Malformed heads too: the HTTP server answers them as it always does.
        handOver();
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      if (isSource) {
        serveSource(socket, head, buf.subarray(end), options.source);
        return;
      }
      const refused = options.access?.(head, listenerMountOf(head.path) ?? '');
      if (refused) {
        replyError(socket, refused, {
          version: '1.1',
          headers: { 'access-control-allow-origin': '*' },
          headOnly: head.method === 'HEAD',
        });
        return;
      }
      serveRawListener(socket, head, listenOptions);
    };
    socket.on('data', onData);
    // Not a closure: it would keep this function's scope (the head bytes, the timer) for the
    // socket's whole life.
    socket.on('error', destroyOnError);
  });
}
