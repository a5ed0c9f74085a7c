/**
 * Joining a private channel: `GET /api/join/<mount>?t=<token>` (the join link: sets the join cookie
 * and sends the browser on to the listener page), `POST /api/join/<mount>` `{"code": "…"}` (the code
 * typed on the listener page: 204 with the cookie), `GET /api/join/<mount>` without a token
 * ({@link JoinState}: does this page need to ask for the code). Wrong codes and tokens are counted
 * by the failed-key limiter, so guessing a code ends in 429 for that address.
 */
import type { Request, Response } from 'express';
import express, { Router } from 'express';
import type { JoinState } from '../../shared/protocol.js';
import { isValidMount, MAX_JOIN_CODE_CHARS, paths } from '../../shared/protocol.js';
import { isTls } from '../admin/session.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { secretEquals } from '../auth/secrets.js';
import { ApiError, sendError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ChannelAccess } from './access.js';
import { joinCookie, verifyJoinToken } from './access.js';
import { normaliseJoinCode } from './channel.js';
import type { ChannelStore } from './store.js';

export interface JoinRouteOptions {
  store: ChannelStore;
  access: ChannelAccess;
  authLimiter: AuthLimiter;
  log: Logger;
}

export function joinRouter(options: JoinRouteOptions): Router {
  const { store, access, authLimiter, log } = options;
  const router = Router();

  /** The private channel `req` names, or an error (404 for public and unknown channels alike). */
  const privateChannel = (req: Request) => {
    const mount = String(req.params.mount ?? '');
    const record = isValidMount(mount) ? store.get(mount) : undefined;
    return record?.visibility === 'private' ? record : null;
  };
  const refuse = (req: Request, res: Response, why: string): void => {
    authLimiter.fail(req.socket.remoteAddress);
    log.warn({ mount: req.params.mount, ip: req.socket.remoteAddress, why }, 'join refused');
    sendError(res, new ApiError('JOIN_REFUSED', 'That join link or code is wrong, expired or revoked.'));
  };

  router.use('/api/join', (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  router.get('/api/join/:mount', (req, res) => {
    const mount = String(req.params.mount ?? '');
    const token = req.query.t;
    if (token === undefined) {
      const body: JoinState = { private: access.isPrivate(mount), joined: access.allowed(req, mount) };
      res.json(body);
      return;
    }
    const limited = authLimiter.check(req.socket.remoteAddress);
    if (limited) {
      sendError(res, limited);
      return;
    }
    const record = privateChannel(req);
    const expiry = record && typeof token === 'string' ? verifyJoinToken(record, token, access.nowS()) : null;
    if (!record || expiry === null) {
      refuse(req, res, 'bad token');
      return;
    }
    res.setHeader('set-cookie', joinCookie(record, expiry, access.nowS(), isTls(req)));
    res.redirect(303, paths.listenPage(record.name));
  });

  router.post('/api/join/:mount', express.json({ limit: 1024 }), (req, res) => {
    const limited = authLimiter.check(req.socket.remoteAddress);
    if (limited) {
      sendError(res, limited);
      return;
    }
    const code: unknown = (req.body as Record<string, unknown> | undefined)?.code;
    if (typeof code !== 'string' || code.length > MAX_JOIN_CODE_CHARS) {
      sendError(
        res,
        new ApiError('BAD_REQUEST', `Send {"code": "…"}, at most ${MAX_JOIN_CODE_CHARS} characters.`),
      );
      return;
    }
    const record = privateChannel(req);
    if (!record || !secretEquals(normaliseJoinCode(code), record.joinCode)) {
      refuse(req, res, 'bad code');
      return;
    }
    res.setHeader('set-cookie', joinCookie(record, 0, access.nowS(), isTls(req)));
    res.status(204).end();
  });

  return router;
}
