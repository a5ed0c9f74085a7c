/**
 * Admin API for recordings (admin token: Basic `admin:<token>` or `Bearer <token>`):
 * `GET /admin/api/recordings` lists them, `GET /admin/api/recordings/<mount>/<name>` downloads one,
 * `DELETE` of the same path removes a finished one. CORS stays closed: no other site's page may read them.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { RecordingList } from '../../shared/protocol.js';
import { paths } from '../../shared/protocol.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { ApiError, sendError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Recorder } from '../recording/recorder.js';
import { requireAdmin } from './auth.js';
import type { AdminSessions } from './session.js';

/** Content type of a recording, by its extension. */
const RECORDING_TYPES: Readonly<Record<string, string>> = {
  webm: 'audio/webm',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
};

export interface AdminRecordingsOptions {
  recorder: Recorder | null;
  adminToken: string;
  authLimiter: AuthLimiter;
  /** The dashboard's sessions (signed-in organisers), besides the admin token. */
  sessions?: AdminSessions;
  log: Logger;
}

export function adminRecordingsRouter(options: AdminRecordingsOptions): Router {
  const { recorder, log } = options;
  const router = Router();
  router.use('/admin/api/recordings', requireAdmin(options), (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  router.get(paths.adminRecordings, (_req: Request, res: Response) => {
    const body: RecordingList = { recordings: recorder?.list() ?? [] };
    res.json(body);
  });

  router.get('/admin/api/recordings/:mount/:name', (req: Request, res: Response) => {
    const mount = String(req.params.mount);
    const name = String(req.params.name);
    const file = recorder?.file(mount, name);
    if (!file) {
      sendError(res, new ApiError('NOT_FOUND', `No recording "${name}" of mount "${mount}".`));
      return;
    }
    res.setHeader('content-type', RECORDING_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'audio/webm');
    res.setHeader('content-disposition', `attachment; filename="${mount}-${name}"`);
    res.sendFile(file, { dotfiles: 'deny', cacheControl: false, lastModified: false }, (err) => {
      if (err && !res.headersSent) sendError(res, new ApiError('NOT_FOUND', 'The recording is gone.'));
      else if (err) log.warn({ err, mount, name }, 'recording download broke off');
    });
  });

  router.delete('/admin/api/recordings/:mount/:name', (req: Request, res: Response) => {
    const mount = String(req.params.mount);
    const name = String(req.params.name);
    const result = recorder?.remove(mount, name) ?? 'missing';
    if (result === 'missing') {
      sendError(res, new ApiError('NOT_FOUND', `No recording "${name}" of mount "${mount}".`));
    } else if (result === 'live') {
      sendError(
        res,
        new ApiError(
          'RECORDING_IN_PROGRESS',
          'This broadcast is still live; stop it before removing its recording.',
        ),
      );
    } else {
      res.json({ removed: true });
    }
  });

  return router;
}
