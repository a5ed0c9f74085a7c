/**
 * HTTP listeners: `GET /<mount>.webm` (and `/<mount>`) streams the mount as audio/webm, init segment
 * first, then from the newest Cluster start. Each listener's queue is the socket's own write buffer;
 * past `maxListenerBufferBytes` the listener is dropped so it never holds anyone else back.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import { isValidMount, WEBM_CONTENT_TYPE } from '../../shared/protocol.js';
import { KitError, sendError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Sink, SinkEndReason } from '../hub/mount.js';
import type { Logger } from '../log.js';

/** `/<mount>` or `/<mount>.webm`. */
const LISTEN_PATH = /^\/([a-z0-9][a-z0-9_-]{0,63})(?:\.webm)?$/;

export interface ListenOptions {
  hub: Hub;
  maxListenerBufferBytes: number;
  log: Logger;
}

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

export function listenRouter(options: ListenOptions): Router {
  const { hub, maxListenerBufferBytes, log } = options;
  const router = Router();

  router.get(LISTEN_PATH, (req: Request, res: Response, next) => {
    const mountName = LISTEN_PATH.exec(req.path)?.[1] ?? '';
    if (!isValidMount(mountName)) {
      next();
      return;
    }
    res.setHeader('access-control-allow-origin', '*');
    const mount = hub.find(mountName);
    if (mount?.state !== 'live') {
      sendError(
        res,
        new KitError('LISTEN_OFFLINE', `Mount "${mountName}" is offline: nobody is broadcasting.`),
      );
      return;
    }
    res.status(200);
    res.setHeader('content-type', WEBM_CONTENT_TYPE);
    res.setHeader('cache-control', 'no-cache, no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.flushHeaders();
    const sink = new HttpSink(res, maxListenerBufferBytes);
    if (!mount.attach(sink)) {
      res.end();
      return;
    }
    log.debug({ mount: mountName, ip: req.socket.remoteAddress }, 'listener joined');
    res.once('close', () => {
      mount.detach(sink);
      sink.end('ended');
    });
  });

  return router;
}
