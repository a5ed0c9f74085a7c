/** The two pages, their assets, and `/api/info`. */
import type { Response } from 'express';
import express, { Router } from 'express';
import type { ServerInfo } from '../../shared/protocol.js';
import { isValidMount, paths } from '../../shared/protocol.js';

/**
 * Headers on every page: no sniffing, no referrer leaks, scripts and media from ourselves only.
 * Only the embed page may be framed by other sites.
 */
export function setPageHeaders(res: Response, framedBy: "'self'" | '*' = "'self'"): void {
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; " +
      `img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors ${framedBy}`,
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-cache');
}

export function pagesRouter(options: { publicDir: string; info: () => ServerInfo }): Router {
  const { publicDir } = options;
  const router = Router();
  const sendPage = (res: Response, file: string, framedBy: "'self'" | '*' = "'self'"): void => {
    setPageHeaders(res, framedBy);
    // root: only the file name is checked for dot segments, so an install under ~/.local works.
    res.sendFile(file, { root: publicDir });
  };

  router.get('/', (_req, res) => sendPage(res, 'index.html'));
  router.get('/listen/:mount', (req, res, next) => {
    if (!isValidMount(String(req.params.mount))) {
      next();
      return;
    }
    sendPage(res, 'index.html');
  });
  router.get('/embed/:mount', (req, res, next) => {
    if (!isValidMount(String(req.params.mount))) {
      next();
      return;
    }
    sendPage(res, 'embed.html', '*');
  });
  router.get(paths.broadcastPage, (_req, res) => sendPage(res, 'broadcast.html'));
  router.get(paths.info, (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json(options.info());
  });
  router.use(
    express.static(publicDir, {
      index: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('x-content-type-options', 'nosniff'),
    }),
  );
  return router;
}
