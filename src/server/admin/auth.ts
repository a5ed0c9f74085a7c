/**
 * The admin check every admin endpoint shares (recordings, channels, /metrics): the admin token
 * (Bearer, or Basic `admin:`), for scripts; or the dashboard's session cookie, which on any request
 * that changes something must come with the CSRF header and without a foreign `Origin`.
 */
import type { NextFunction, Request, Response } from 'express';
import { ADMIN_CSRF_HEADER } from '../../shared/protocol.js';
import { adminTokenOf } from '../auth/credentials.js';
import type { AuthRule } from '../auth/gate.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { secretEquals } from '../auth/secrets.js';
import { ApiError, sendError } from '../errors.js';
import { checkOrigin } from '../http/origin.js';
import type { Logger } from '../log.js';
import type { AdminSessions } from './session.js';

export interface AdminAuthOptions {
  adminToken: string;
  authLimiter: AuthLimiter;
  log: Logger;
  /** The dashboard's sessions; without them only the token is taken. */
  sessions?: AdminSessions;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function adminRule(adminToken: string, challenge: boolean): AuthRule {
  return {
    accepts: (creds) => {
      const token = adminTokenOf(creds);
      return token !== null && secretEquals(token, adminToken);
    },
    code: 'AUTH_BAD_TOKEN',
    message: 'Admin token missing or wrong: use admin:<admin token>, or sign in on /admin.',
    challenge: challenge ? 'Basic realm="onair admin"' : undefined,
    logMessage: 'admin request rejected: wrong token',
  };
}

/**
 * ADMIN_CSRF for a dashboard request that changes something without the CSRF header (a form or an
 * image of another site cannot send one), or that a page of another site sent; else null.
 */
export function csrfRefusal(req: Request): ApiError | null {
  if (SAFE_METHODS.has(req.method)) return null;
  if (req.headers[ADMIN_CSRF_HEADER] !== '1' || checkOrigin(req.headers, []) !== null) {
    return new ApiError(
      'ADMIN_CSRF',
      `Send the ${ADMIN_CSRF_HEADER}: 1 header, from this server's own page.`,
    );
  }
  return null;
}

/**
 * Middleware: a valid session cookie (plus the CSRF checks) or the admin token passes; 429 for an
 * address with too many wrong tokens, 401 otherwise (with a Basic challenge, except for the
 * dashboard's own requests, so the browser shows no password dialog).
 */
export function requireAdmin(options: AdminAuthOptions) {
  const withChallenge = adminRule(options.adminToken, true);
  const quiet = adminRule(options.adminToken, false);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.headers.authorization && options.sessions?.valid(req.headers.cookie)) {
      const csrf = csrfRefusal(req);
      if (csrf) {
        options.log.warn({ path: req.path, ip: req.socket.remoteAddress }, 'admin request refused: csrf');
        sendError(res, csrf);
        return;
      }
      next();
      return;
    }
    const refused = authorize(
      options.authLimiter,
      {
        ip: req.socket.remoteAddress,
        authorization: req.headers.authorization,
        log: options.log,
        fields: { path: req.path },
      },
      req.headers[ADMIN_CSRF_HEADER] ? quiet : withChallenge,
    );
    if (refused) {
      sendError(res, refused);
      return;
    }
    next();
  };
}
