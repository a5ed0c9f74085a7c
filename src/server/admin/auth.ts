/** The admin token check every admin endpoint shares (recordings, /metrics). */
import type { NextFunction, Request, Response } from 'express';
import { adminTokenOf } from '../auth/credentials.js';
import type { AuthRule } from '../auth/gate.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { secretEquals } from '../auth/secrets.js';
import { sendError } from '../errors.js';
import type { Logger } from '../log.js';

export interface AdminAuthOptions {
  adminToken: string;
  authLimiter: AuthLimiter;
  log: Logger;
}

/** Middleware: 429 for an address with too many wrong tokens, 401 (with a challenge) for a wrong one. */
export function requireAdmin(options: AdminAuthOptions) {
  const rule: AuthRule = {
    accepts: (creds) => {
      const token = adminTokenOf(creds);
      return token !== null && secretEquals(token, options.adminToken);
    },
    code: 'AUTH_BAD_TOKEN',
    message: 'Admin token missing or wrong: use admin:<admin token>.',
    challenge: 'Basic realm="onair admin"',
    logMessage: 'admin request rejected: wrong token',
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const refused = authorize(
      options.authLimiter,
      {
        ip: req.socket.remoteAddress,
        authorization: req.headers.authorization,
        log: options.log,
        fields: { path: req.path },
      },
      rule,
    );
    if (refused) {
      sendError(res, refused);
      return;
    }
    next();
  };
}
