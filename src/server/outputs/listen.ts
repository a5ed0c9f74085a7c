/**
 * HTTP listeners: `GET /<mount>.webm` (and `/<mount>`) streams the mount as audio/webm, init segment
 * first, then from the newest Cluster start. Each listener's queue is the socket's own write buffer;
 * past `maxListenerBufferBytes` the listener is dropped so it never holds anyone else back.
 *
 * An MP3/AAC mount has one output, its source's frames (`/<mount>`, `/<mount>.mp3` or `.aac`), with
 * ICY titles for listeners that ask; what it has not (the Opus outputs) is refused with 415
 * LISTEN_FORMAT_UNAVAILABLE, as are `.mp3`/`.aac` of an Opus mount.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import { isValidMount, PACKETS, WEBM_CONTENT_TYPE } from '../../shared/protocol.js';
import { ApiError, sendError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import type { Output, Sink, SinkEndReason } from '../hub/types.js';
import type { Logger } from '../log.js';
import { frameFormatOf } from '../mpeg/frames.js';
import { ICY_METAINT, IcySink, wantsIcy } from './icy.js';
import type { PacketStatus } from './packet-status.js';
import { StatusSink } from './packet-status.js';

/**
 * `/<mount>` (the source's own container), `/<mount>.webm`, `/<mount>.ogg` (also `.opus`, `.oga`),
 * `/<mount>.pkt` (framed Opus packets for the low-latency player), `/<mount>.mp3`, `/<mount>.aac`.
 */
const LISTEN_PATH = /^\/([a-z0-9][a-z0-9_-]{0,63})(\.webm|\.ogg|\.opus|\.oga|\.pkt|\.mp3|\.aac)?$/;

const CONTENT_TYPES: Readonly<Record<Exclude<Output, 'mpeg'>, string>> = {
  webm: WEBM_CONTENT_TYPE,
  ogg: 'audio/ogg',
  packets: PACKETS.contentType,
};

/** The output that carries a source's own bytes, from its content type. */
export function sourceContainer(sourceType: string | undefined): Output {
  if (frameFormatOf(sourceType)) return 'mpeg';
  return sourceType === 'audio/ogg' || sourceType === 'application/ogg' ? 'ogg' : 'webm';
}

export interface ListenLimits {
  maxListenerBufferBytes: number;
  maxListenersPerMount: number;
  maxListeners: number;
}

export interface ListenOptions extends ListenLimits {
  hub: Hub;
  log: Logger;
  /** Status in the packet stream, for `/<mount>.pkt?status=1`. */
  packetStatus: PacketStatus;
}

/** True when a listen request asks for status frames in its stream (packets output only). */
export function wantsStatus(container: Output, query: URLSearchParams): boolean {
  return container === 'packets' && query.get(PACKETS.statusParam) === '1';
}

/**
 * The sink a listener of `container` attaches: `sink` itself, or wrapped to carry status. Attach it,
 * then `started(sink)`.
 */
export function listenerSink(
  sink: Sink,
  mount: Mount,
  container: Output,
  query: URLSearchParams,
  packetStatus: PacketStatus,
  icy = false,
): Sink {
  if (icy && container === 'mpeg') return new IcySink(sink, mount);
  return wantsStatus(container, query) ? packetStatus.wrap(mount.name, sink) : sink;
}

/** After a listener's sink is attached: one that carries status gets the current status now. */
export function started(sink: Sink): void {
  if (sink instanceof StatusSink) sink.start();
}

/** LISTEN_FULL when one more listener would pass a limit, else null. */
export function listenerLimitError(hub: Hub, mount: Mount, limits: ListenLimits): ApiError | null {
  if (mount.listeners >= limits.maxListenersPerMount) {
    return new ApiError(
      'LISTEN_FULL',
      `Mount "${mount.name}" is full (${limits.maxListenersPerMount} listeners).`,
    );
  }
  if (hub.listeners >= limits.maxListeners) {
    return new ApiError('LISTEN_FULL', `The server is full (${limits.maxListeners} listeners).`);
  }
  return null;
}

/** What `GET path` asks for: a mount and a container, or null when the path is not a stream. */
export function parseListenPath(path: string): { mount: string; ext: string | undefined } | null {
  const match = LISTEN_PATH.exec(path);
  const mount = match?.[1] ?? '';
  return match && isValidMount(mount) ? { mount, ext: match[2] } : null;
}

/** The container `ext` names, or the source's own when there is none. */
export function listenContainer(ext: string | undefined, mount: Mount): Output {
  if (ext === '.webm') return 'webm';
  if (ext === '.pkt') return 'packets';
  if (ext === '.mp3' || ext === '.aac') return 'mpeg';
  return ext ? 'ogg' : sourceContainer(mount.info.sourceType);
}

/**
 * LISTEN_FORMAT_UNAVAILABLE when `mount` cannot give what `ext` asks for without transcoding (an
 * Opus output of an MP3/AAC mount, `.mp3` of an AAC one, MP3/AAC of an Opus one; `.m3u8` is an Opus
 * output too), else null.
 */
export function formatError(mount: Mount, ext: string | undefined): ApiError | null {
  const own = frameFormatOf(mount.info.sourceType);
  const name = mount.name;
  if (own) {
    if (ext === undefined || ext === `.${own}`) return null;
    return new ApiError(
      'LISTEN_FORMAT_UNAVAILABLE',
      `Mount "${name}" is ${own === 'mp3' ? 'MP3' : 'AAC'}, passed through as its source sends it: listen at /${name} or /${name}.${own}. ` +
        'The Opus outputs (.webm, .ogg, .pkt, .m3u8) need an Opus source; onair never transcodes.',
    );
  }
  if (ext !== '.mp3' && ext !== '.aac') return null;
  return new ApiError(
    'LISTEN_FORMAT_UNAVAILABLE',
    `Mount "${name}" is Opus: listen at /${name}.webm, /${name}.ogg, /${name}.pkt or /${name}.m3u8; onair never transcodes to MP3 or AAC.`,
  );
}

export function offlineError(mount: string): ApiError {
  return new ApiError('LISTEN_OFFLINE', `Mount "${mount}" is offline: nobody is broadcasting.`);
}

/**
 * Response headers of a live stream: type, no caching, CORS open, and what Icecast players show
 * (the `icy-*` headers Icecast 2.4 sends every listener); `icy-metaint` when ICY titles are inserted.
 */
export function listenHeaders(mount: Mount, container: Output, icy = false): Record<string, string> {
  const { info } = mount;
  const h: Record<string, string> = {
    'content-type': container === 'mpeg' ? (info.sourceType ?? 'audio/mpeg') : CONTENT_TYPES[container],
    'cache-control': 'no-cache, no-store',
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  };
  if (info.name) h['icy-name'] = headerSafe(info.name);
  if (info.description) h['icy-description'] = headerSafe(info.description);
  if (info.genre) h['icy-genre'] = headerSafe(info.genre);
  if (container === 'mpeg') {
    const br = info.bitrate ?? (info.frames ? String(info.frames.bitrateKbps) : undefined);
    if (br) h['icy-br'] = headerSafe(br);
    if (info.url) h['icy-url'] = headerSafe(info.url);
    h['icy-pub'] = String(info.public ?? 0);
    if (info.audioInfo) h['ice-audio-info'] = headerSafe(info.audioInfo);
    if (icy) h['icy-metaint'] = String(ICY_METAINT);
  }
  return h;
}

/** A listener behind an express response (HTTPS/HTTP2, or a kept-alive HTTP/1.1 connection). */
class HttpSink implements Sink {
  private readonly res: Response;
  private readonly max: number;
  private ended = false;

  constructor(res: Response, max: number) {
    this.res = res;
    this.max = max;
  }

  write(bytes: Uint8Array): boolean {
    if (this.ended) return false;
    if (this.res.writableLength > this.max) return false;
    this.res.write(bytes);
    return true;
  }

  end(reason: SinkEndReason): void {
    if (this.ended) return;
    this.ended = true;
    if (reason === 'slow') this.res.destroy();
    else this.res.end();
  }
}

/** Header values must be Latin-1 without control characters. */
function headerSafe(v: string): string {
  return v.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

export function listenRouter(options: ListenOptions): Router {
  const { hub, maxListenerBufferBytes, log, packetStatus } = options;
  const router = Router();

  router.get(LISTEN_PATH, (req: Request, res: Response, next) => {
    const target = parseListenPath(req.path);
    if (!target) {
      next();
      return;
    }
    res.setHeader('access-control-allow-origin', '*');
    const mount = hub.find(target.mount);
    if (mount?.state !== 'live') {
      sendError(res, offlineError(target.mount));
      return;
    }
    const full = listenerLimitError(hub, mount, options);
    if (full) {
      res.setHeader('retry-after', '30');
      sendError(res, full);
      return;
    }
    const unavailable = formatError(mount, target.ext);
    if (unavailable) {
      sendError(res, unavailable);
      return;
    }
    const container = listenContainer(target.ext, mount);
    const icy = container === 'mpeg' && wantsIcy(req.headers['icy-metadata']);
    res.status(200);
    for (const [k, v] of Object.entries(listenHeaders(mount, container, icy))) res.setHeader(k, v);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.flushHeaders();
    const query = new URL(req.originalUrl, 'http://x').searchParams;
    const sink = listenerSink(
      new HttpSink(res, maxListenerBufferBytes),
      mount,
      container,
      query,
      packetStatus,
      icy,
    );
    if (!mount.attach(sink, container)) {
      res.end();
      return;
    }
    started(sink);
    log.debug({ mount: target.mount, container, ip: req.socket.remoteAddress }, 'listener joined');
    res.once('close', () => {
      mount.detach(sink, container);
      sink.end('ended');
    });
  });

  return router;
}
