/**
 * The listener fast path for plain HTTP: a `GET /<mount>(.webm|.ogg|.mp3|…)` read by the front door is
 * answered on the raw socket (no HTTP/1.1 chunk framing, `Connection: close`), and the socket itself
 * is the sink. Per listener that leaves one socket and one small object; per chunk, one write of
 * the bytes every listener shares.
 */
import type net from 'node:net';
import { destroyOnError, rawHead, replyError } from '../http/raw-reply.js';
import type { Sink, SinkEndReason } from '../hub/types.js';
import type { RequestHead } from '../ingest/http-head.js';
import { wantsIcy } from './icy.js';
import type { ListenOptions } from './listen.js';
import {
  formatError,
  listenContainer,
  listenerLimitError,
  listenerSink,
  listenHeaders,
  offlineError,
  parseListenPath,
  started,
} from './listen.js';

/** A listener's socket as a sink; exported for its unit test. */
export class SocketSink implements Sink {
  private readonly socket: net.Socket;
  private readonly max: number;
  private ended = false;

  constructor(socket: net.Socket, max: number) {
    this.socket = socket;
    this.max = max;
  }

  write(bytes: Uint8Array): boolean {
    // A listener that has left is not a slow one: between its socket ending or being destroyed and the
    // 'close' event that detaches it, a chunk may still come; counting it would inflate slow_listeners.
    if (!this.socket.writable) return true;
    if (this.ended || this.socket.writableLength > this.max) return false;
    this.socket.write(bytes);
    return true;
  }

  end(reason: SinkEndReason): void {
    if (this.ended) return;
    this.ended = true;
    if (reason === 'slow') this.socket.destroy();
    else this.socket.end();
  }
}

/** True when `head` is a stream request this fast path serves (GET or HEAD of a listen path). */
export function isRawListen(head: RequestHead): boolean {
  return (head.method === 'GET' || head.method === 'HEAD') && parseListenPath(head.path) !== null;
}

/** Answers a listen request read off the raw socket and attaches the socket to the mount. */
export function serveRawListener(socket: net.Socket, head: RequestHead, options: ListenOptions): void {
  const target = parseListenPath(head.path);
  if (!target) {
    socket.destroy();
    return;
  }
  if (!socket.listeners('error').includes(destroyOnError)) socket.on('error', destroyOnError);
  const mount = options.hub.find(target.mount);
  const refusal =
    mount?.state !== 'live'
      ? offlineError(target.mount)
      : (formatError(mount, target.ext) ?? listenerLimitError(options.hub, mount, options));
  if (!mount || refusal) {
    const err = refusal ?? offlineError(target.mount);
    replyError(socket, err, {
      version: '1.1',
      headers: { 'access-control-allow-origin': '*', ...(err.status === 503 ? { 'retry-after': '30' } : {}) },
      headOnly: head.method === 'HEAD',
    });
    return;
  }
  const container = listenContainer(target.ext, mount);
  const icy = container === 'mpeg' && wantsIcy(head.headers['icy-metadata']);
  socket.setNoDelay(true);
  socket.write(rawHead(200, listenHeaders(mount, container, icy), '1.1'));
  if (head.method === 'HEAD') {
    socket.end();
    return;
  }
  const sink = listenerSink(
    new SocketSink(socket, options.maxListenerBufferBytes),
    mount,
    container,
    head.query,
    options.packetStatus,
    icy,
  );
  if (!mount.attach(sink, container)) {
    socket.end();
    return;
  }
  started(sink);
  // Listeners send nothing more; reading on lets us see them leave at once.
  socket.on('data', ignore);
  socket.on('close', () => {
    mount.detach(sink, container);
    sink.end('ended');
  });
}

/** What a listener sends after its request: nothing of use. */
function ignore(): void {}
