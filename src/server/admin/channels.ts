/**
 * The organiser's API and page: `GET /admin` (the dashboard), `/admin/api/session` (sign in with the
 * admin token → session cookie; sign out), and channel CRUD, key and join-secret rotation, join links
 * and kicking the source under `/admin/api/channels` (session cookie + CSRF header, or the admin token
 * for scripts). Stream keys are in an answer once, at creation or rotation, and never logged.
 */
import type { Request, Response } from 'express';
import express, { Router } from 'express';
import type {
  AdminChannel,
  AdminChannelList,
  ChannelCreated,
  ChannelKey,
  JoinLink,
} from '../../shared/protocol.js';
import { isValidMount, paths } from '../../shared/protocol.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { mintJoinToken } from '../channels/access.js';
import type { ChannelRecord } from '../channels/channel.js';
import { checkInput } from '../channels/channel.js';
import type { ChannelStore } from '../channels/store.js';
import { ApiError, isApiError, sendError } from '../errors.js';
import { setPageHeaders } from '../http/pages.js';
import type { Hub } from '../hub/hub.js';
import type { IngestSessions } from '../ingest/session.js';
import type { Logger } from '../log.js';
import { adminRule, csrfRefusal, requireAdmin } from './auth.js';
import type { ListenerHistory } from './history.js';
import type { AdminSessions } from './session.js';
import { isTls } from './session.js';

/** Longest join link life an organiser may ask for (a year). */
const MAX_JOIN_LINK_HOURS = 24 * 366;

export interface AdminChannelsOptions {
  store: ChannelStore;
  sessions: AdminSessions;
  ingest: IngestSessions;
  hub: Hub;
  history: ListenerHistory;
  adminToken: string;
  authLimiter: AuthLimiter;
  publicDir: string;
  log: Logger;
}

/** The join link path of a private channel (null for a public one); `expiry` 0: until rotation. */
export function joinPathOf(record: ChannelRecord | undefined, expiry = 0): string | null {
  if (record?.visibility !== 'private') return null;
  return `${paths.join(record.name)}?t=${mintJoinToken(record, expiry)}`;
}

export function adminChannelsRouter(options: AdminChannelsOptions): Router {
  const { store, sessions, hub, log } = options;
  const router = Router();
  const admin = requireAdmin({ ...options, sessions });

  const view = (r: ChannelRecord): AdminChannel => {
    const s = hub.snapshot(r.name);
    const source = options.ingest.find(r.name)?.source ?? null;
    return {
      name: r.name,
      title: r.title,
      description: r.description,
      visibility: r.visibility,
      record: r.record,
      retentionDays: r.retentionDays,
      listenAgain: r.listenAgain,
      createdAt: r.createdAt,
      joinCode: r.visibility === 'private' ? r.joinCode : null,
      joinPath: joinPathOf(r),
      live: s.state === 'live',
      listeners: s.listeners,
      nowTitle: s.title,
      startedAt: s.startedAt?.toISOString() ?? null,
      source: s.state === 'live' ? (source ?? { address: null, transport: 'another node' }) : null,
    };
  };
  const named = (req: Request): ChannelRecord => {
    const name = String(req.params.name ?? '');
    const r = isValidMount(name) ? store.get(name) : undefined;
    if (!r) throw new ApiError('NOT_FOUND', `No channel named "${name.slice(0, 64)}".`);
    return r;
  };
  const handle =
    (fn: (req: Request, res: Response) => Promise<void> | void) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        if (!isApiError(err)) log.error({ err }, 'admin request failed');
        sendError(res, isApiError(err) ? err : new ApiError('INTERNAL', 'The change failed on the server.'));
      }
    };

  router.get(paths.adminPage, (_req, res) => {
    setPageHeaders(res);
    res.sendFile('admin.html', { root: options.publicDir });
  });

  router.use('/admin/api/session', (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  // Sign in: the admin token in the body; counted by the failed-key limiter like any other.
  router.post(
    paths.adminSession,
    express.json({ limit: 1024 }),
    handle((req, res) => {
      const csrf = csrfRefusal(req);
      if (csrf) throw csrf;
      const token: unknown = (req.body as Record<string, unknown> | undefined)?.token;
      const refused = authorize(
        options.authLimiter,
        {
          ip: req.socket.remoteAddress,
          authorization: typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined,
          log,
          fields: { path: req.path },
        },
        adminRule(options.adminToken, false),
      );
      if (refused) throw refused;
      res.setHeader('set-cookie', sessions.create(isTls(req)));
      log.info({ ip: req.socket.remoteAddress }, 'organiser signed in');
      res.status(204).end();
    }),
  );
  router.get(paths.adminSession, (req, res) => {
    if (sessions.valid(req.headers.cookie)) res.status(204).end();
    else sendError(res, new ApiError('AUTH_BAD_TOKEN', 'Not signed in.'));
  });
  router.delete(
    paths.adminSession,
    handle((req, res) => {
      const csrf = csrfRefusal(req);
      if (csrf) throw csrf;
      res.setHeader('set-cookie', sessions.revoke(req.headers.cookie, isTls(req)));
      res.status(204).end();
    }),
  );

  router.use('/admin/api/channels', admin, (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  router.get(paths.adminChannels, (_req, res) => {
    const body: AdminChannelList = { channels: store.list().map(view), history: [...options.history.all()] };
    res.json(body);
  });
  router.post(
    paths.adminChannels,
    express.json({ limit: 8192 }),
    handle(async (req, res) => {
      const input = checkInput(req.body, true) as ReturnType<typeof checkInput> & { name: string };
      const made = await store.create(input);
      const body: ChannelCreated = { channel: view(made.record), streamKey: made.streamKey };
      res.status(201).json(body);
    }),
  );
  router.patch(
    '/admin/api/channels/:name',
    express.json({ limit: 8192 }),
    handle(async (req, res) => {
      const r = named(req);
      res.json(view(await store.update(r.name, checkInput(req.body, false))));
    }),
  );
  router.delete(
    '/admin/api/channels/:name',
    handle(async (req, res) => {
      await store.remove(named(req).name);
      res.json({ removed: true });
    }),
  );
  router.post(
    '/admin/api/channels/:name/rotate-key',
    handle(async (req, res) => {
      const body: ChannelKey = { streamKey: await store.rotateKey(named(req).name) };
      res.json(body);
    }),
  );
  router.post(
    '/admin/api/channels/:name/rotate-join',
    handle(async (req, res) => {
      res.json(view(await store.rotateJoin(named(req).name)));
    }),
  );
  router.post(
    '/admin/api/channels/:name/join-link',
    express.json({ limit: 1024 }),
    handle((req, res) => {
      const r = named(req);
      if (r.visibility !== 'private')
        throw new ApiError('BAD_REQUEST', 'Only a private channel has join links.');
      const hours: unknown = (req.body as Record<string, unknown> | undefined)?.expiresInHours ?? 0;
      if (typeof hours !== 'number' || !(hours >= 0 && hours <= MAX_JOIN_LINK_HOURS)) {
        throw new ApiError('BAD_REQUEST', `expiresInHours: 0 (no expiry) to ${MAX_JOIN_LINK_HOURS}.`);
      }
      const expiry = hours === 0 ? 0 : Math.floor(Date.now() / 1000 + hours * 3600);
      const body: JoinLink = {
        path: joinPathOf(r, expiry) ?? '',
        expiresAt: expiry === 0 ? null : new Date(expiry * 1000).toISOString(),
      };
      res.json(body);
    }),
  );
  router.post(
    '/admin/api/channels/:name/kick',
    handle(async (req, res) => {
      const r = named(req);
      await store.kick(r.name);
      log.info({ channel: r.name }, 'source kicked by the organiser');
      res.json({ kicked: true });
    }),
  );
  return router;
}
