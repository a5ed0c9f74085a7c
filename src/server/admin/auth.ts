/** The admin token check every admin endpoint shares (recordings, /metrics). */
import type { NextFunction, Request, Response } from 'express';
import type { AuthLimiter } from '../auth-limiter.js';
import { KitError, sendError } from '../errors.js';
import type { Logger } from '../log.js';
import { basicCredentials, secretEquals } from '../secrets.js';

export interface AdminAuthOptions {
  adminToken: string;
  authLimiter: AuthLimiter;
  log: Logger;
}

/** The admin token from `Authorization`, Basic with user `admin` or Bearer; null when absent. */
function adminTokenOf(header: string | undefined): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  if (bearer?.[1]) return bearer[1];
  const creds = basicCredentials(header);
  return creds?.user === 'admin' ? creds.password : null;
}

/** Middleware: 429 for an address with too many wrong tokens, 401 (with a challenge) for a wrong one. */
export function requireAdmin(options: AdminAuthOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const ip = req.socket.remoteAddress;
    const limited = options.authLimiter.check(ip);
    if (limited) {
      sendError(res, limited);
      return;
    }
    const token = adminTokenOf(req.headers.authorization);
    if (token === null || !secretEquals(token, options.adminToken)) {
      options.authLimiter.fail(ip);
      options.log.warn({ ip, path: req.path }, 'admin request rejected: wrong token');
      res.setHeader('www-authenticate', 'Basic realm="onair admin"');
      sendError(
        res,
        new KitError('AUTH_BAD_TOKEN', 'Admin token missing or wrong: use admin:<admin token>.'),
      );
      return;
    }
    next();
  };
}
