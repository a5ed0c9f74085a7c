/**
 * Listen-again: a mount's finalised recordings, for anyone who may hear the mount.
 * `GET /listen-again/<mount>` is the page, `GET /api/listen-again/<mount>` its list
 * ({@link ListenAgainList}), `GET /listen-again/<mount>/<name>` one recording, with range requests
 * (206, 416, `Accept-Ranges`, Last-Modified and If-Range: `send`'s, through `res.sendFile`; the app sends no ETags).
 * Only mounts that offer listen-again, and only finalised (seekable) recordings; names are checked
 * against the mount pattern and the recorder's file-name pattern before any path is made of them.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { ListenAgainList } from '../../shared/protocol.js';
import { isValidMount, paths } from '../../shared/protocol.js';
import { ApiError, sendError } from '../errors.js';
import { setPageHeaders } from '../http/pages.js';
import type { Logger } from '../log.js';
import type { Recorder } from '../recording/recorder.js';

/**
 * May this request hear `mount`? null: yes; else the error to answer (a private channel without its
 * join cookie: 403). Every listen-again route asks it, in {@link ListenAgainRoutes.refusal} only.
 */
export type HearGate = (req: Request, mount: string) => ApiError | null;

export interface ListenAgainOptions {
  recorder: Recorder | null;
  /** Whether `mount` offers listen-again (`--listen-again` for mounts without channel settings). */
  offers: (mount: string) => boolean;
  /** Default: everyone may hear every mount (there are no private channels yet). */
  mayHear?: HearGate;
  publicDir: string;
  log: Logger;
}

/**
 * A recording never changes once finalised (its name is its start), so browsers may keep it; `private`:
 * a shared cache must not hand one channel's recording to someone who may not hear the channel.
 */
const FILE_CACHE_CONTROL = 'private, max-age=3600';

export function listenAgainRouter(options: ListenAgainOptions): Router {
  const { recorder, log } = options;
  const mayHear: HearGate = options.mayHear ?? (() => null);
  const router = Router();

  /** The one check every route makes: a valid mount that offers listen-again, to this request. */
  const refusal = (req: Request, mount: string): ApiError | null => {
    if (!isValidMount(mount) || !options.offers(mount) || recorder === null) {
      return new ApiError('NOT_FOUND', `No listen-again for "${mount}".`);
    }
    // ── The gate: "may this request hear this mount?" (private channels plug in here). ──
    return mayHear(req, mount);
  };

  router.get('/listen-again/:mount', (req: Request, res: Response, next) => {
    if (!isValidMount(String(req.params.mount))) {
      next();
      return;
    }
    // The page itself holds nothing; it asks the list, which answers 404 or 403 as the case is.
    setPageHeaders(res);
    res.sendFile('again.html', { root: options.publicDir });
  });

  router.get('/api/listen-again/:mount', (req: Request, res: Response) => {
    const mount = String(req.params.mount);
    const refused = refusal(req, mount);
    if (refused || recorder === null) {
      sendError(res, refused ?? new ApiError('NOT_FOUND', 'No recordings.'));
      return;
    }
    const body: ListenAgainList = {
      mount,
      recordings: recorder
        .list(mount)
        .filter((r) => r.finalised && (r.durationMs ?? 0) > 0)
        .map((r) => {
          const titles = recorder.sidecar(mount, r.name)?.titles ?? [];
          return {
            name: r.name,
            startedAt: r.startedAt,
            durationMs: Math.round(r.durationMs ?? 0),
            title: titles.find((x) => x.title !== null)?.title ?? null,
            titles,
            bytes: r.bytes,
            url: paths.listenAgainFile(mount, r.name),
          };
        }),
    };
    res.setHeader('cache-control', 'no-cache');
    res.json(body);
  });

  router.get('/listen-again/:mount/:name', (req: Request, res: Response) => {
    const mount = String(req.params.mount);
    const name = String(req.params.name);
    const refused = refusal(req, mount);
    const file = refused ? null : recorder?.finalisedFile(mount, name);
    if (refused || !file) {
      sendError(
        res,
        refused ?? new ApiError('NOT_FOUND', `No recording "${name}" of "${mount}" to listen to.`),
      );
      return;
    }
    res.setHeader('content-type', 'audio/webm');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', FILE_CACHE_CONTROL);
    res.sendFile(file, { dotfiles: 'deny', cacheControl: false, acceptRanges: true }, (err) => {
      if (!err) return;
      // 304 is answered by send itself; a 416 comes here with its Content-Range set.
      if ((err as { status?: unknown }).status === 416) {
        sendError(
          res,
          new ApiError('RANGE_NOT_SATISFIABLE', 'The range asked for is past the end of the recording.'),
        );
      } else if (!res.headersSent) {
        sendError(res, new ApiError('NOT_FOUND', 'The recording is gone.'));
      } else {
        log.debug({ err, mount, name }, 'listen-again download broke off');
      }
    });
  });

  return router;
}
