/**
 * Operator endpoints: `GET /healthz` (200 while the process serves requests), `GET /readyz` (200
 * when this node can take broadcasts and listeners: not shutting down, and Redis reachable when
 * clustered; 503 otherwise, so a load balancer stops sending it traffic), and `GET /metrics`
 * (Prometheus text; admin token, as Bearer or Basic `admin:`, since it names every mount).
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { requireAdmin } from '../admin/auth.js';
import type { AuthLimiter } from '../auth/limiter.js';
import type { Logger } from '../log.js';

export interface Readiness {
  ready: boolean;
  /** Why not, for people reading the 503. */
  reason?: string;
}

export interface OpsOptions {
  registry: Registry;
  readiness: () => Readiness;
  adminToken: string;
  authLimiter: AuthLimiter;
  log: Logger;
}

export function opsRouter(options: OpsOptions): Router {
  const router = Router();
  router.get('/healthz', (_req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req: Request, res: Response) => {
    const r = options.readiness();
    res.setHeader('cache-control', 'no-store');
    res
      .status(r.ready ? 200 : 503)
      .json(r.ready ? { status: 'ready' } : { status: 'not ready', reason: r.reason });
  });
  router.get('/metrics', requireAdmin(options), async (_req: Request, res: Response) => {
    const text = await options.registry.metrics();
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-type', options.registry.contentType);
    res.end(text);
  });
  return router;
}
